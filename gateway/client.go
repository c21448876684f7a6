package gateway

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// clientLimits are the per-client knobs copied from Config. The clients of
// a gateway share one copy (idle clients are most of a gateway's memory).
type clientLimits struct {
	sendQueue    int
	maxMessage   int64
	pingInterval time.Duration
	writeTimeout time.Duration
	closeWait    time.Duration
	rate         float64 // messages/s; <= 0: unlimited
	burst        int
	// Not limits, but what the gateway's clients share along with them:
	// the poller idle clients park their sockets in, and the pooled
	// state of raw socket calls.
	idle idlePoller
	ops  sync.Pool // of *rawOp
}

// client is one client WebSocket. Its reader is runSocket's goroutine.
// Writes happen in place, on the goroutine that queued the frames, while
// the socket takes them without blocking; a writer goroutine (writeLoop)
// takes over what a full socket leaves and lingers while the client stays
// busy (writer.go). The room actor owns the socket's room-visible state
// (tags, attachment); the client only moves bytes.
type client struct {
	id          string
	identity    string // the connect token's subject, or ""
	conn        *websocket.Conn
	nc          net.Conn
	raw         rawSocket // see ownReader
	limits      *clientLimits
	metrics     *metrics
	connectedAt time.Time
	// lastSeen is when the client last sent anything, a message or a pong,
	// in ns since connectedAt (monotonic).
	lastSeen  atomic.Int64
	keepalive *time.Timer // pings the client; stopped when it ends
	rate      bucket      // the client's message rate; only its reader uses it
	// resume starts a reader for the client once the idle poller sees its
	// parked socket readable or its connection ends (set by serveSocket;
	// nil: the client is never parked).
	resume  func()
	parkTok uint64 // the idle poller's token while parked; guarded by its mu
	// batch is the room's list of the clients its current batch of shard
	// frames queued to (room.unwoken, set by onJoin; nil outside a room).
	// signal, which only the room actor calls, reads its length to tell an
	// echo from a broadcast (see maxInPlaceBatch).
	batch *[]*client

	// protects everything below
	mu       sync.Mutex
	queue    net.Buffers   // data frames, oldest first
	ctrl     net.Buffers   // control frames (pongs, pings)
	rest     net.Buffers   // what an in-place write left: first out, the first maybe partial
	inflight int           // frames taken for writing and not yet out (rest included)
	closing  *closeReq     // set once; how the connection ends
	writing  bool          // a goroutine is writing to the socket (in place or the writer)
	writer   bool          // a writer goroutine exists (writing or lingering)
	ended    bool          // the connection is finished: nothing more is written
	wake     chan struct{} // cap 1: wakes a lingering writer; made with the first writer
	readDone latch         // the read loop has returned
	done     latch         // the connection is finished and closed
}

func newClient(id string, conn *websocket.Conn, limits *clientLimits, m *metrics) *client {
	return &client{
		id:          id,
		conn:        conn,
		nc:          conn.NetConn(),
		limits:      limits,
		metrics:     m,
		connectedAt: time.Now(),
		rate:        newBucket(limits.rate, limits.burst),
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

// prepareRead sets the read limit and the control frame handlers, and
// starts the keepalive. It runs before the reader goroutine starts, so
// none of this deepens that goroutine's stack.
func (c *client) prepareRead() {
	c.conn.SetReadLimit(c.limits.maxMessage)
	c.touch()
	// The close frame is answered by the writer once the room has chosen
	// the code (ARCHITECTURE.md, "A client closing"), not here.
	c.conn.SetCloseHandler(func(int, string) error { return nil })
	// Pongs go through the client's write path, which owns the
	// connection's writes.
	c.conn.SetPingHandler(func(data string) error {
		c.touch()
		c.control(encodeFrame(opPong, []byte(data)))
		return nil
	})
	c.conn.SetPongHandler(func(string) error { c.touch(); return nil })
	c.startKeepalive()
}

// touch records that the client is alive. The keepalive closes a client
// silent for two ping intervals, in place of a read deadline: extending
// one on every pong took the idle reader's stack past its 2 KiB minimum.
func (c *client) touch() {
	c.lastSeen.Store(int64(time.Since(c.connectedAt)))
}

// silentFor is how long the client has sent nothing, not even a pong.
func (c *client) silentFor() time.Duration {
	return time.Since(c.connectedAt) - time.Duration(c.lastSeen.Load())
}

// readLoop reads client messages and hands each to deliver until the
// connection ends (parked false, with how it ended) or the client goes
// idle: then its socket is parked in the gateway's idle poller and
// readLoop returns parked true, ending this reader goroutine; the poller
// starts the next one (c.resume) when the client sends again or the
// connection ends. resumed says the poller started this reader: the
// socket is then parked again at once if all it had was a pong. deliver
// may block (back-pressure from the room).
//
// Between messages the reader waits in raw.wait, not inside gorilla's
// frame parser, because gorilla cannot be interrupted at a message
// boundary, and it takes pongs to our pings off the socket itself, since
// gorilla would handle one and then block waiting for a data message.
func (c *client) readLoop(resumed bool, deliver func(data []byte, binary bool) bool) (end readEnd, parked bool) {
	linger := readerLinger
	if resumed {
		linger = 0
	}
	for {
		if err := c.raw.wait(&c.limits.ops, c, linger); err != nil {
			if !errors.Is(err, errIdle) {
				end = classifyReadError(err)
				break
			}
			if c.park() {
				return readEnd{}, true
			}
			linger = -1 // no poller: wait here
			continue
		}
		linger = readerLinger
		var ok bool
		if end, ok = c.readOne(deliver); !ok {
			break
		}
	}
	c.fire(&c.readDone)
	return end, false
}

// readerLinger is how long a reader waits for its client's next message
// before parking the socket in the idle poller and ending. Long enough
// that a client in conversation keeps its reader, short enough that idle
// clients hold no goroutine.
const readerLinger = time.Second

// park hands the client's socket to the idle poller; false when it cannot
// be parked (no poller on this platform, the connection is closing).
func (c *client) park() bool {
	return c.resume != nil && c.limits.idle.park(c)
}

// readOne reads and delivers one message; ok false ends the loop.
func (c *client) readOne(deliver func(data []byte, binary bool) bool) (end readEnd, ok bool) {
	mt, data, err := c.conn.ReadMessage()
	if err != nil {
		return classifyReadError(err), false
	}
	c.touch()
	c.metrics.messagesIn.Inc()
	c.metrics.bytesIn.Add(float64(len(data)))
	if !c.rate.allow(time.Now()) {
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
