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

// push is enqueue without waking the writer: wake reports that the queue
// was empty, and the caller must then call signal once it has queued the
// rest of its batch. A writer woken per frame would race the room to the
// socket and write a broadcast's frames one syscall each instead of
// together in one writev.
func (c *client) push(f frame) (ok, wake bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing != nil {
		return true, false
	}
	// Frames the writer holds count too: blocked on a full socket, they are
	// as unsent as the queued ones, and without them a client that never
	// reads could owe twice its queue before its 1013.
	if len(c.queue)+c.inflight >= c.limits.sendQueue {
		return false, false
	}
	c.queue = append(c.queue, f)
	return true, len(c.queue) == 1
}

// control queues a control frame (pong) ahead of data; it is not bounded
// by the send queue since the peer can only cause one per frame it sends.
func (c *client) control(f frame) {
	c.mu.Lock()
	if c.closing == nil && len(c.ctrl) < maxControlQueued {
		c.ctrl = append(c.ctrl, f)
	}
	c.mu.Unlock()
	c.signal()
}

// maxControlQueued bounds pongs owed to a client that pings faster than it
// reads; extra pings go unanswered, which RFC 6455 allows.
const maxControlQueued = 8

// close asks the writer to end the connection; the first request wins.
// Queued data frames are still written before the close frame.
func (c *client) close(req closeReq) {
	c.mu.Lock()
	if c.closing == nil {
		c.closing = &req
	}
	c.mu.Unlock()
	c.signal()
}

// kill ends the connection at once without a close frame: the blocked
// writer or reader fails and returns.
func (c *client) kill() {
	c.close(closeReq{code: 1006, noFrame: true})
	_ = c.nc.Close()
}

func (c *client) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// take swaps out what the writer must do next. spare is the writer's
// emptied slice, reused as the new queue so steady traffic does not
// allocate one per burst.
func (c *client) take(spare net.Buffers) (ctrl, data net.Buffers, req *closeReq) {
	c.mu.Lock()
	ctrl, c.ctrl = c.ctrl, nil
	data, c.queue = c.queue, spare
	c.inflight = len(data)
	req = c.closing
	c.mu.Unlock()
	return ctrl, data, req
}

// written ends the count of frames in flight once take's frames are out.
func (c *client) written() {
	c.mu.Lock()
	c.inflight = 0
	c.mu.Unlock()
}

// writeLoop is the client's one writer goroutine. It owns all writes to the
// connection (gorilla writes only its own 1009/1002 close frames), drains
// everything queued per wake-up and hands it to writev in one call. It ends
// after the close frame, or on the first write error, and always closes
// the connection so the reader returns too.
func (c *client) writeLoop() {
	defer close(c.done)
	defer c.nc.Close()
	ping := time.NewTicker(c.limits.pingInterval)
	defer ping.Stop()
	var spare net.Buffers
	for {
		select {
		case <-c.wake:
		case <-ping.C:
			c.control(encodeFrame(opPing, nil))
			continue
		}
		ctrl, data, req := c.take(spare)
		if err := c.write(ctrl, data); err != nil {
			c.close(closeReq{code: 1006, noFrame: true})
			return
		}
		c.written()
		if req != nil {
			c.finish(req)
			return
		}
		spare = recycle(data)
	}
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
	case <-c.readDone:
	case <-t.C:
	}
}
