package gateway

import (
	"net"
	"time"
)

// closeReq says how a client's connection ends.
type closeReq struct {
	code   int
	reason string
	// echo is set when the client closed first: our close frame answers
	// its close, so the connection is closed right after writing it.
	echo bool
	// noFrame is set when no close frame is to be written: gorilla already
	// sent one (1009), or the connection is lost or being killed.
	noFrame bool
}

// enqueue adds a data frame to the client's send queue. It returns false
// when the queue is full: the caller (the room actor) then closes the
// client with 1013. A frame for a client that is closing is dropped.
// Safe for concurrent use; never blocks on the network.
func (c *client) enqueue(f frame) bool {
	ok, wake := c.push(f)
	if wake {
		c.signal()
	}
	return ok
}

// push is enqueue without starting the writer: wake reports that the queue
// was empty with no writer running, and the caller must then call signal
// once it has queued the rest of its batch. A writer started per frame
// would race the room to the socket and write a broadcast's frames one
// syscall each instead of together in one writev.
func (c *client) push(f frame) (ok, wake bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing != nil {
		return true, false
	}
	// Frames a blocked writer holds count too: they are as unsent as the
	// queued ones, and without them a client that never reads could owe
	// twice its queue before the 1013.
	if len(c.queue)+int(c.inflight) >= c.limits.sendQueue {
		return false, false
	}
	c.queue = append(c.queue, f)
	return true, !c.writing && len(c.queue) == 1
}

// control queues a control frame (pong) ahead of data; it is not bounded
// by the send queue since the peer can only cause one per frame it sends.
// With nothing queued and no writer running, it is written at once if the
// socket takes it without blocking: a keepalive ping round then starts no
// goroutine per idle client.
func (c *client) control(f frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing != nil || len(c.ctrl) >= maxControlQueued {
		return
	}
	if !c.writing && len(c.queue) == 0 && len(c.ctrl) == 0 {
		f = f[c.idle.writeNow(f):]
		if len(f) == 0 {
			return
		}
	}
	c.ctrl = append(c.ctrl, f)
	c.startWriterLocked()
}

// signal starts the writer for frames push queued, unless one runs.
func (c *client) signal() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.startWriterLocked()
}

// busy reports whether a writer goroutine runs: frames are queued or being
// written, and the write timeout bounds how long that may take.
func (c *client) busy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writing
}

// maxControlQueued bounds pongs owed to a client that pings faster than it
// reads; extra pings go unanswered, which RFC 6455 allows.
const maxControlQueued = 8

// close asks the writer to end the connection; the first request wins.
// Queued data frames are still written before the close frame.
func (c *client) close(req closeReq) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing == nil {
		c.closing = &req
		c.startWriterLocked()
	}
}

// kill ends the connection at once without a close frame: the blocked
// writer or reader fails and returns.
func (c *client) kill() {
	c.close(closeReq{code: 1006, noFrame: true})
	_ = c.nc.Close()
}

// startWriterLocked starts a writer goroutine unless one runs. Writers run
// only while there is something to write, so an idle connection holds
// neither a goroutine nor a write buffer (the direct hub's shape). The
// writer that ends the connection closes done, which runSocket waits for.
// c.mu must be held.
func (c *client) startWriterLocked() {
	if c.writing || c.ended {
		return
	}
	c.writing = true
	go c.flush()
}

// take swaps out what the writer must do next, or reports that there is
// nothing left, ending this writer (ok false). The writer's emptied slice
// becomes the spare queue so steady traffic does not allocate one per
// burst.
func (c *client) take(spent net.Buffers) (ctrl, data net.Buffers, req *closeReq, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if spent != nil {
		c.spare = spent
	}
	c.inflight = 0 // the last round is written
	if len(c.ctrl) == 0 && len(c.queue) == 0 && c.closing == nil {
		c.writing = false
		c.spare = nil // an idle client keeps no queue array
		return nil, nil, nil, false
	}
	ctrl, c.ctrl = c.ctrl, nil
	data, c.queue = c.queue, c.spare
	c.spare = nil
	c.inflight = int32(len(data))
	req = c.closing
	if req != nil {
		c.ended = true // this writer ends the connection; no other starts
	}
	return ctrl, data, req, true
}

// flush is a client's writer: it owns all writes to the connection
// (gorilla writes only its own 1009/1002 close frames), drains everything
// queued per round and hands it to writev in one call, and returns when
// the queue is empty. The writer that takes the close request writes the
// close frame, closes the connection (so the reader returns too) and then
// done; so does one that fails to write.
func (c *client) flush() {
	var spent net.Buffers
	for {
		ctrl, data, req, ok := c.take(spent)
		if !ok {
			return
		}
		if err := c.write(ctrl, data); err != nil {
			c.end()
			return
		}
		if req != nil {
			c.finish(req)
			c.end()
			return
		}
		spent = recycle(data)
	}
}

// end marks the connection finished after its close or a write error:
// nothing more is written, and the reader's blocked read fails once the
// connection is closed.
func (c *client) end() {
	c.mu.Lock()
	if c.closing == nil {
		c.closing = &closeReq{code: 1006, noFrame: true}
	}
	c.ended = true
	c.queue, c.ctrl, c.spare = nil, nil, nil
	c.mu.Unlock()
	_ = c.nc.Close()
	c.fire(&c.done)
}

// recycle empties a written queue for reuse, dropping frame references;
// a queue grown by a burst is let go so idle clients stay small.
func recycle(q net.Buffers) net.Buffers {
	if cap(q) > 64 {
		return nil
	}
	clear(q)
	return q[:0]
}

// write sends control frames first, then data, in one writev.
func (c *client) write(ctrl, data net.Buffers) error {
	n := len(ctrl) + len(data)
	if n == 0 {
		return nil
	}
	var size int
	for _, f := range data {
		size += len(f)
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.limits.writeTimeout))
	var err error
	switch {
	case len(ctrl) == 0 && len(data) == 1:
		_, err = c.nc.Write(data[0])
	case len(ctrl) == 0:
		bufs := data // WriteTo consumes its receiver; keep data for recycling
		_, err = bufs.WriteTo(c.nc)
	default:
		bufs := make(net.Buffers, 0, n)
		bufs = append(append(bufs, ctrl...), data...)
		_, err = bufs.WriteTo(c.nc)
	}
	if err == nil && len(data) > 0 {
		c.metrics.messagesOut.Add(float64(len(data)))
		c.metrics.bytesOut.Add(float64(size))
	}
	return err
}

// finish writes the close frame and, when we closed first, waits briefly
// for the client's answering close (read by the reader) before hanging up.
func (c *client) finish(req *closeReq) {
	if req.noFrame {
		return
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.limits.closeWait))
	if _, err := c.nc.Write(closeFrame(req.code, req.reason)); err != nil || req.echo {
		return
	}
	t := time.NewTimer(c.limits.closeWait)
	defer t.Stop()
	select {
	case <-c.wait(&c.readDone):
	case <-t.C:
	}
}
