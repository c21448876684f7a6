package direct

import (
	"net"
	"time"

	"sync"

	"github.com/gorilla/websocket"
)

// conn is one client socket of the hub. send and closeWith are safe for
// concurrent use; the reader goroutine (Hub.serveConn) owns ws reads.
type conn struct {
	hub *Hub
	ws  *websocket.Conn
	nc  net.Conn
	id  string // session id, a random UUID

	// room and idx are guarded by room.mu.
	room *room
	idx  int

	mu sync.Mutex // protects the fields below
	// queue holds complete frames not yet written; queued is their size.
	queue  [][]byte
	queued int
	// spare is the previous batch's backing array, reused by the next.
	spare [][]byte
	// writing is set while a flush goroutine runs.
	writing bool
	// closed: no more frames are accepted (a close frame is queued last,
	// unless dead).
	closed bool
	// dead: the socket failed; nothing more is written.
	dead bool
	// release: the reader is done; the writer closes nc when it finishes.
	release bool
}

// send queues frames, in order, to go out in one write when the writer is
// idle. Frames after a close are dropped; a queue over the bound turns into
// a 1013 close.
func (c *conn) send(frames ...[]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	if c.queued+n > c.hub.cfg.QueueBytes {
		clear(c.queue)
		c.queue, c.queued = c.queue[:0], 0
		c.enqueueCloseLocked(websocket.CloseTryAgainLater, slowReason)
		return
	}
	c.queue = append(c.queue, frames...)
	c.queued += n
	c.startWriterLocked()
}

// closeWith queues a close frame; the writer half-closes the socket after it.
func (c *conn) closeWith(code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.enqueueCloseLocked(code, reason)
	}
}

func (c *conn) enqueueCloseLocked(code int, reason string) {
	c.closed = true
	f := closeFrame(code, reason)
	c.queue = append(c.queue, f)
	c.queued += len(f)
	c.startWriterLocked()
}

func (c *conn) startWriterLocked() {
	if c.writing || c.dead {
		return
	}
	c.writing = true
	c.hub.wg.Add(1)
	go c.flush()
}

// flush writes queued frames, a whole queue per writev, until the queue is
// empty; then it exits (idle connections hold no writer goroutine).
func (c *conn) flush() {
	defer c.hub.wg.Done()
	for {
		c.mu.Lock()
		if len(c.queue) == 0 || c.dead {
			c.writing = false
			release := c.release
			c.mu.Unlock()
			if release {
				_ = c.nc.Close()
			}
			return
		}
		batch := c.queue
		c.queue, c.spare, c.queued = c.spare[:0], nil, 0
		final := c.closed
		c.mu.Unlock()

		err := c.nc.SetWriteDeadline(time.Now().Add(c.hub.cfg.WriteTimeout))
		if err == nil {
			bufs := net.Buffers(batch)
			_, err = bufs.WriteTo(c.nc)
		}
		clear(batch)
		c.mu.Lock()
		c.spare = batch[:0]
		if err != nil {
			c.dead, c.closed = true, true
			clear(c.queue)
			c.queue, c.queued = c.queue[:0], 0
		}
		c.mu.Unlock()
		if err != nil {
			// Wake the reader so it cleans up.
			_ = c.nc.Close()
			continue
		}
		if final {
			c.halfClose()
		}
	}
}

// halfClose ends our side after the close frame, so the client still reads
// it, and bounds how long the reader waits for the client's reply.
func (c *conn) halfClose() {
	if tc, ok := c.nc.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
}

// finish is called by the reader when it is done: the socket closes now, or
// when the running writer finishes.
func (c *conn) finish() {
	c.mu.Lock()
	c.closed = true
	c.release = true
	writing := c.writing
	c.mu.Unlock()
	if !writing {
		_ = c.nc.Close()
	}
}

// abort resets the socket without a close frame (a simulated crash).
func (c *conn) abort() {
	if tc, ok := c.nc.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.nc.Close()
}
