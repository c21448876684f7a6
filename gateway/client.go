package gateway

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// clientLimits are the per-client knobs copied from Config.
type clientLimits struct {
	sendQueue    int
	maxMessage   int64
	pingInterval time.Duration
	writeTimeout time.Duration
	closeWait    time.Duration
	rate         float64 // messages/s; <= 0: unlimited
	burst        int
}

// client is one client WebSocket. Its reader is the HTTP handler goroutine
// (serveSocket); its writer is writeLoop. The room actor owns the socket's
// room-visible state (tags, attachment); the client only moves bytes.
type client struct {
	id          string
	identity    string // the connect token's subject, or ""
	conn        *websocket.Conn
	nc          net.Conn
	limits      clientLimits
	metrics     *metrics
	connectedAt time.Time

	wake     chan struct{} // cap 1: the queue or closing changed
	readDone chan struct{} // closed when the read loop has returned
	done     chan struct{} // closed when the writer has returned

	// protects queue, inflight, ctrl and closing
	mu       sync.Mutex
	queue    net.Buffers // data frames, oldest first
	inflight int         // data frames the writer took and has not finished writing
	ctrl     net.Buffers // control frames (pongs, pings)
	closing  *closeReq   // set once; how the connection ends
}

func newClient(id string, conn *websocket.Conn, limits clientLimits, m *metrics) *client {
	return &client{
		id:          id,
		conn:        conn,
		nc:          conn.NetConn(),
		limits:      limits,
		metrics:     m,
		connectedAt: time.Now(),
		wake:        make(chan struct{}, 1),
		readDone:    make(chan struct{}),
		done:        make(chan struct{}),
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

// readLoop reads client messages and hands each to deliver until the
// connection ends. deliver may block (back-pressure from the room).
func (c *client) readLoop(deliver func(data []byte, binary bool) bool) readEnd {
	defer close(c.readDone)
	c.conn.SetReadLimit(c.limits.maxMessage)
	idle := 2 * c.limits.pingInterval
	extend := func() { _ = c.conn.SetReadDeadline(time.Now().Add(idle)) }
	extend()
	// The close frame is answered by the writer once the room has chosen
	// the code (ARCHITECTURE.md, "A client closing"), not here.
	c.conn.SetCloseHandler(func(int, string) error { return nil })
	// Pongs go through the writer, which owns the connection's writes.
	c.conn.SetPingHandler(func(data string) error {
		extend()
		c.control(encodeFrame(opPong, []byte(data)))
		return nil
	})
	c.conn.SetPongHandler(func(string) error { extend(); return nil })
	rate := newBucket(c.limits.rate, c.limits.burst)
	for {
		mt, data, err := c.conn.ReadMessage()
		if err != nil {
			return classifyReadError(err)
		}
		extend()
		c.metrics.messagesIn.Inc()
		c.metrics.bytesIn.Add(float64(len(data)))
		if !rate.allow(time.Now()) {
			c.metrics.rateLimited.Inc()
			return readEnd{kind: endPolicy, code: websocket.ClosePolicyViolation, reason: reasonRateLimit}
		}
		if !deliver(data, mt == websocket.BinaryMessage) {
			return readEnd{kind: endLost, code: websocket.CloseAbnormalClosure}
		}
	}
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
