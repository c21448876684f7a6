package gateway

import (
	"errors"
	"net"
	"os"
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

// How a client's frames reach its socket. Whoever queues frames for a
// client whose socket is free (nothing being written, nothing left over)
// writes them at once, in place, with one non-blocking writev: the room
// actor for a shard's frames, the reader for a pong, the keepalive timer
// for a ping. A client that reads as fast as we write, which is nearly
// every client, never needs a goroutine for writing, and an echo reply
// reaches the socket without a hand-off to another goroutine.
//
// What a full socket does not take is handed to the client's writer
// goroutine (writeLoop), which blocks on the socket under the write
// timeout. The writer then lingers: it stays parked for writerLinger after
// its queue empties, so a client that keeps falling behind keeps one
// writer across bursts instead of starting a goroutine per burst. Only
// the writer ends a connection: the close frame and the wait for the
// client's answer may block.
//
// c.writing marks the one goroutine writing at a time; frames queued
// meanwhile are picked up by that goroutine when its write returns.

// writerLinger is how long an idle writer goroutine waits for more work
// before it exits.
const writerLinger = 2 * time.Second

// maxInPlaceRounds bounds the in-place writes one caller makes for frames
// that keep arriving while it writes; the writer takes over after that.
const maxInPlaceRounds = 2

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

// push is enqueue without writing: wake reports that the queue was empty
// with the socket free, and the caller must then call signal once it has
// queued the rest of its batch. Writing per frame would write a
// broadcast's frames one syscall each instead of together in one writev.
func (c *client) push(f frame) (ok, wake bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing != nil {
		return true, false
	}
	// Frames taken for writing count too: stuck on a full socket, they are
	// as unsent as the queued ones, and without them a client that never
	// reads could owe twice its queue before its 1013.
	if len(c.queue)+c.inflight >= c.limits.sendQueue {
		return false, false
	}
	c.queue = append(c.queue, f)
	return true, len(c.queue) == 1 && !c.writing
}

// signal writes what push queued: in place when the socket takes it and
// the room's batch is small, else through the writer goroutine. It never
// blocks on the network. Only the room actor calls it.
func (c *client) signal() {
	inPlace := c.batch == nil || len(*c.batch) <= maxInPlaceBatch
	c.mu.Lock()
	c.flushLocked(inPlace)
	c.mu.Unlock()
}

// maxInPlaceBatch is the most clients a batch of shard frames may reach
// for the room actor to write to them in place. Above it, the writes go to
// the clients' writers, which run on both cores while the actor moves on:
// written in place, a broadcast to a thousand sockets would hold the room
// for a thousand syscalls in a row.
const maxInPlaceBatch = 16

// control queues a control frame (pong, ping) ahead of data and writes it
// like signal; it is not bounded by the send queue since the peer can only
// cause one per frame it sends, and the keepalive one per interval.
func (c *client) control(f frame) {
	c.mu.Lock()
	if c.closing == nil && len(c.ctrl) < maxControlQueued {
		c.ctrl = append(c.ctrl, f)
		c.flushLocked(true)
	}
	c.mu.Unlock()
}

// maxControlQueued bounds pongs owed to a client that pings faster than it
// reads; extra pings go unanswered, which RFC 6455 allows.
const maxControlQueued = 8

// close asks for the connection to end; the first request wins. Queued
// data frames are still written before the close frame.
func (c *client) close(req closeReq) {
	c.mu.Lock()
	if c.closing == nil {
		c.closing = &req
	}
	c.flushLocked(false)
	c.mu.Unlock()
}

// kill ends the connection at once without a close frame: a blocked
// writer or reader fails and returns, and a parked reader is started to
// see the end.
func (c *client) kill() {
	c.close(closeReq{code: 1006, noFrame: true})
	_ = c.nc.Close()
	c.unpark()
}

// busy reports whether frames are owed to the client: queued, being
// written or left over by a full socket. The write timeout bounds those.
func (c *client) busy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writing || len(c.rest) > 0 || len(c.queue) > 0
}

// pendingLocked reports whether there is anything to write or a close to
// carry out. c.mu must be held.
func (c *client) pendingLocked() bool {
	return len(c.rest) > 0 || len(c.ctrl) > 0 || len(c.queue) > 0 || c.closing != nil
}

// flushLocked gets pending frames written: in place (if inPlace) while the
// socket takes them, else by the writer. c.mu must be held; it is released
// during the write.
func (c *client) flushLocked(inPlace bool) {
	for round := 0; ; round++ {
		if c.ended || c.writing || !c.pendingLocked() {
			return
		}
		// The writer ends connections, and one left over by a full socket
		// is the writer's to finish: the socket is unlikely to take more.
		if !inPlace || c.closing != nil || len(c.rest) > 0 || !c.raw.canWrite() || round == maxInPlaceRounds {
			c.startWriterLocked()
			return
		}
		bufs := c.takeLocked()
		c.writing = true
		c.mu.Unlock()
		n, err := c.raw.writeNow(&c.limits.ops, bufs)
		c.mu.Lock()
		c.writing = false
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			// A broken connection: the writer ends it (closes the
			// socket, so the reader returns, and fires done).
			if c.closing == nil {
				c.closing = &closeReq{code: 1006, noFrame: true}
			}
			c.inflight = 0
			c.startWriterLocked()
			return
		}
		// (A write deadline the writer set and that has since passed
		// fails the raw write before it is tried: the writer retries it.)
		if left := consume(bufs, n); len(left) > 0 {
			c.rest = left
			c.inflight = len(left)
			c.startWriterLocked()
			return
		}
		c.inflight = 0
		c.reuseLocked(bufs)
	}
}

// takeLocked swaps out everything pending, in the order it must go: an
// interrupted write's rest, control frames, data. The taken frames count
// as in flight until written. c.mu must be held.
func (c *client) takeLocked() net.Buffers {
	var bufs net.Buffers
	data := c.queue
	switch {
	case len(c.rest) == 0 && len(c.ctrl) == 0:
		bufs = c.queue
		c.queue = nil
	case len(c.rest) == 0 && len(c.queue) == 0:
		bufs, c.ctrl = c.ctrl, nil
	default:
		bufs = make(net.Buffers, 0, len(c.rest)+len(c.ctrl)+len(c.queue))
		bufs = append(append(append(bufs, c.rest...), c.ctrl...), c.queue...)
		c.rest, c.ctrl = nil, nil
		c.queue = recycle(c.queue, c.keptLocked())
	}
	c.inflight = len(bufs)
	if len(data) > 0 {
		// Counted when handed to the socket, so the in-place and the
		// writer's paths count alike.
		var size int
		for _, f := range bufs[len(bufs)-len(data):] {
			size += len(f)
		}
		c.metrics.messagesOut.Add(float64(len(data)))
		c.metrics.bytesOut.Add(float64(size))
	}
	return bufs
}

// keptQueue is the largest queue array a client without a writer keeps
// for its next frames (a broadcast gives each member two); one with a
// lingering writer keeps up to 64.
const keptQueue = 4

// keptLocked is the largest queue array c keeps. c.mu must be held.
func (c *client) keptLocked() int {
	if c.writer {
		return 64
	}
	return keptQueue
}

// reuseLocked makes a written batch's array the next queue when the queue
// has none, so steady traffic does not allocate a queue per write. c.mu
// must be held.
func (c *client) reuseLocked(bufs net.Buffers) {
	if len(c.queue) == 0 && cap(c.queue) == 0 {
		c.queue = recycle(bufs, c.keptLocked())
	}
}

// consume drops the first n written bytes from bufs and returns the rest.
func consume(bufs net.Buffers, n int) net.Buffers {
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if len(bufs) > 0 && n > 0 {
		bufs[0] = bufs[0][n:]
	}
	return bufs
}

// startWriterLocked wakes the lingering writer, or starts one. No writer
// starts once the connection has ended. c.mu must be held.
func (c *client) startWriterLocked() {
	if c.ended {
		return
	}
	if c.writer {
		select {
		case c.wake <- struct{}{}:
		default:
		}
		return
	}
	if c.wake == nil {
		c.wake = make(chan struct{}, 1)
	}
	c.writer = true
	go c.writeLoop()
}

// writeLoop is the client's writer goroutine. It writes everything pending
// per round with one writev, blocking under the write timeout, and lingers
// when nothing is left (see writerLinger). The writer that takes the close
// request writes the close frame and ends the connection; so does one
// whose write fails.
func (c *client) writeLoop() {
	var idle *time.Timer // reused across this writer's idle spells
	defer func() {
		if idle != nil {
			idle.Stop()
		}
	}()
	for {
		c.mu.Lock()
		if c.writing || !c.pendingLocked() {
			c.mu.Unlock()
			if !c.linger(&idle) {
				return
			}
			continue
		}
		req := c.closing
		bufs := c.takeLocked()
		c.writing = true
		c.mu.Unlock()

		_ = c.nc.SetWriteDeadline(time.Now().Add(c.limits.writeTimeout))
		var err error
		if len(bufs) == 1 {
			_, err = c.nc.Write(bufs[0])
		} else {
			b := bufs // WriteTo consumes its receiver; keep bufs for recycling
			_, err = b.WriteTo(c.nc)
		}

		c.mu.Lock()
		c.writing = false
		c.inflight = 0
		if err == nil && req == nil {
			c.reuseLocked(bufs)
		}
		c.mu.Unlock()
		if err != nil {
			c.end(&closeReq{code: 1006, noFrame: true})
			return
		}
		if req != nil {
			c.finish(req)
			c.end(req)
			return
		}
	}
}

// linger parks the writer until there is more to write, and reports false
// when the writer has retired instead: it stayed idle for writerLinger, or
// the connection ended. A retired writer leaves no goroutine and no queue
// array behind; the next frame the socket does not take starts another.
func (c *client) linger(t **time.Timer) bool {
	if *t == nil {
		*t = time.NewTimer(writerLinger)
	} else {
		(*t).Reset(writerLinger)
	}
	select {
	case <-c.wake:
		return true
	case <-(*t).C:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pendingLocked() && !c.writing && !c.ended {
		return true // queued just now; its wake-up is on the way
	}
	// In-place writes fail once the last write deadline has passed. It is
	// cleared before the next writer can start and set its own.
	_ = c.nc.SetWriteDeadline(time.Time{})
	c.writer = false
	if len(c.queue) == 0 && cap(c.queue) > keptQueue {
		c.queue = nil // a retired writer's array goes with it
	}
	return false
}

// end marks the connection finished after its close or a write error:
// nothing more is written, the keepalive stops, and the reader's blocked
// read fails once the connection is closed.
func (c *client) end(req *closeReq) {
	c.mu.Lock()
	if c.closing == nil {
		c.closing = req
	}
	c.ended = true
	c.writer = false
	c.queue, c.ctrl, c.rest = nil, nil, nil
	c.inflight = 0
	if c.keepalive != nil {
		c.keepalive.Stop()
	}
	c.mu.Unlock()
	_ = c.nc.Close()
	c.unpark()
	c.fire(&c.done)
}

// recycle empties a written queue for reuse, dropping frame references;
// one over limit (grown by a burst) is let go so clients stay small.
func recycle(q net.Buffers, limit int) net.Buffers {
	if cap(q) > limit || cap(q) == 0 {
		return nil
	}
	q = q[:cap(q)]
	clear(q)
	return q[:0]
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
