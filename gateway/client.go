package gateway

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// clientLimits are the per-client knobs copied from Config.
type clientLimits struct {
	epoch        time.Time // clients' lastSeen counts from here (monotonic)
	sendQueue    int
	maxMessage   int64
	writeTimeout time.Duration
	closeWait    time.Duration
	rate         float64 // messages/s; <= 0: unlimited
	burst        int
}

// client is one client WebSocket. Its reader is runSocket's goroutine; a
// writer goroutine (flush) runs only while frames are queued. The room
// actor owns the socket's room-visible state (tags, attachment); the
// client only moves bytes. Idle clients are most of a gateway's memory, so
// the struct stays small: the limits are shared, not copied.
type client struct {
	id          string
	identity    string // the connect token's subject, or ""
	conn        *websocket.Conn
	nc          net.Conn
	idle        idleWaiter // see ownReader
	limits      *clientLimits
	metrics     *metrics
	connectedAt time.Time
	lastSeen    atomic.Int64 // since limits.epoch, ns: the last message or pong

	// protects queue, inflight, ctrl, spare, closing, writing, ended,
	// readDone and done
	mu       sync.Mutex
	inflight int32       // data frames the writer took and has not written
	readDone latch       // the read loop has returned
	done     latch       // the connection is finished and closed
	queue    net.Buffers // data frames, oldest first
	ctrl     net.Buffers // control frames (pongs, pings)
	spare    net.Buffers // the last written queue, emptied for reuse
	closing  *closeReq   // set once; how the connection ends
	writing  bool        // a writer goroutine runs
	ended    bool        // a writer took the close request or failed
}

func newClient(id string, conn *websocket.Conn, limits *clientLimits, m *metrics) *client {
	return &client{
		id:          id,
		conn:        conn,
		nc:          conn.NetConn(),
		limits:      limits,
		metrics:     m,
		connectedAt: time.Now(),
	}
}

// latch is a signal that is made a channel only when something waits for
// it, so an idle client holds no channel. Its fields are guarded by the
// client's mu.
type latch struct {
	ch    chan struct{}
	fired bool
}

// wait returns a channel closed once l fires.
func (c *client) wait(l *latch) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l.ch == nil {
		l.ch = make(chan struct{})
		if l.fired {
			close(l.ch)
		}
	}
	return l.ch
}

// fire fires l; only the first call counts.
func (c *client) fire(l *latch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fireLocked(l)
}

func (c *client) fireLocked(l *latch) {
	if l.fired {
		return
	}
	l.fired = true
	if l.ch != nil {
		close(l.ch)
	}
}

// readEnd says why a client's read loop ended.
type readEnd struct {
	kind   endKind
	code   int
	reason string
}

type endKind int

const (
	// endClosed: the client sent a close frame (code, reason).
	endClosed endKind = iota
	// endTooBig: the client sent a message over the limit; gorilla has
	// already sent the 1009 close frame.
	endTooBig
	// endLost: the connection failed or timed out without a close frame.
	endLost
	// endPolicy: the client broke a policy (its message rate); the
	// gateway closes it with code (1008) and reason.
	endPolicy
)

// reasonRateLimit is the close reason for a client over --rate-limit.
const reasonRateLimit = "rate limit exceeded"

// prepareRead sets the read limit and the control frame handlers. It runs
// before the reader goroutine starts, so none of this deepens that
// goroutine's stack.
func (c *client) prepareRead() {
	c.conn.SetReadLimit(c.limits.maxMessage)
	c.touch()
	// The close frame is answered by the writer once the room has chosen
	// the code (ARCHITECTURE.md, "A client closing"), not here.
	c.conn.SetCloseHandler(func(int, string) error { return nil })
	// Pongs go through the writer, which owns the connection's writes.
	c.conn.SetPingHandler(func(data string) error {
		c.touch()
		c.control(encodeFrame(opPong, []byte(data)))
		return nil
	})
	c.conn.SetPongHandler(func(string) error { c.touch(); return nil })
}

// touch records that the client is alive. Its room closes a client silent
// for two ping intervals (pingAll), in place of a read deadline: setting
// one on every pong took the idle reader's stack past its 2 KiB minimum.
func (c *client) touch() {
	c.lastSeen.Store(int64(time.Since(c.limits.epoch)))
}

// silentFor is how long the client has sent nothing, not even a pong.
func (c *client) silentFor() time.Duration {
	return time.Since(c.limits.epoch) - time.Duration(c.lastSeen.Load())
}

// readLoop reads client messages and hands each to deliver until the
// connection ends. deliver may block (back-pressure from the room).
// Between messages it parks in idle.wait, a few small frames deep, not
// inside gorilla's frame parser: an idle reader goroutine then fits the
// runtime's smallest stack (2 KiB) instead of holding 4-8 KiB. Keep its
// frame small.
func (c *client) readLoop(deliver func(data []byte, binary bool) bool) readEnd {
	defer c.fire(&c.readDone)
	rate := newBucket(c.limits.rate, c.limits.burst)
	var last time.Time
	for {
		if err := c.idle.wait(c.touch); err != nil {
			return classifyReadError(err)
		}
		now := time.Now()
		busy := now.Sub(last) < readAsideAfter
		last = now
		var end readEnd
		var ok bool
		if busy {
			end, ok = c.readOne(&rate, deliver)
		} else {
			end, ok = c.readAside(&rate, deliver)
		}
		if !ok {
			return end
		}
	}
}

// readAsideAfter is the pause after which a client's next message is read
// on a goroutine of its own (readAside).
const readAsideAfter = time.Second

// readAside runs readOne on a short-lived goroutine, so the stack gorilla's
// frame parser needs goes when it returns instead of staying with the
// reader until a GC shrinks it. Idle clients wake only for the pong to
// each keepalive ping, and an idle gateway rarely collects garbage, so
// without this every idle reader would hold 4-8 KiB again after the first
// ping. A busy client reads inline: no goroutine per message.
func (c *client) readAside(rate *bucket, deliver func(data []byte, binary bool) bool) (end readEnd, ok bool) {
	var wg sync.WaitGroup
	wg.Go(func() { end, ok = c.readOne(rate, deliver) })
	wg.Wait()
	return end, ok
}

// readOne reads and delivers one message; ok false ends the loop.
func (c *client) readOne(rate *bucket, deliver func(data []byte, binary bool) bool) (end readEnd, ok bool) {
	mt, data, err := c.conn.ReadMessage()
	if err != nil {
		return classifyReadError(err), false
	}
	c.touch()
	c.metrics.messagesIn.Inc()
	c.metrics.bytesIn.Add(float64(len(data)))
	if !rate.allow(time.Now()) {
		c.metrics.rateLimited.Inc()
		return readEnd{kind: endPolicy, code: websocket.ClosePolicyViolation, reason: reasonRateLimit}, false
	}
	if !deliver(data, mt == websocket.BinaryMessage) {
		return readEnd{kind: endLost, code: websocket.CloseAbnormalClosure}, false
	}
	return readEnd{}, true
}

func classifyReadError(err error) readEnd {
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce):
		return readEnd{kind: endClosed, code: ce.Code, reason: ce.Text}
	case errors.Is(err, websocket.ErrReadLimit):
		return readEnd{kind: endTooBig, code: websocket.CloseMessageTooBig, reason: "message too big"}
	}
	return readEnd{kind: endLost, code: websocket.CloseAbnormalClosure}
}

// finalCode is the close code the connection ended with, for metrics.
func (c *client) finalCode() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing == nil {
		return websocket.CloseAbnormalClosure
	}
	return c.closing.code
}
