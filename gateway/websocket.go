package gateway

import (
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// newUpgrader returns the gateway's upgrader. The origin is checked before
// Upgrade (so the 403 has our body); writes bypass gorilla's write buffer
// (see frame), so the pool only serves gorilla's own close frames and an
// idle connection holds no write buffer. ReadBufferSize 0 makes gorilla
// adopt the hijacked reader, which ownReader sizes.
func newUpgrader(handshakeTimeout time.Duration) *websocket.Upgrader {
	return &websocket.Upgrader{
		WriteBufferSize:  256,
		WriteBufferPool:  &sync.Pool{},
		HandshakeTimeout: handshakeTimeout,
		CheckOrigin:      func(*http.Request) bool { return true },
		Error: func(w http.ResponseWriter, _ *http.Request, status int, reason error) {
			http.Error(w, reason.Error(), status)
		},
	}
}

// serveSocket upgrades the request and hands the client socket to its own
// reader goroutine, returning at once: net/http keeps a connection's 8 KiB
// of buffers and the request alive for as long as the handler runs, which
// is a waste for a long-lived, mostly idle socket.
// identity is the connect token's subject; release gives back the
// connection-limit slot when the socket ends.
func (g *Gateway) serveSocket(w http.ResponseWriter, r *http.Request, ref *roomshardv1.RoomRef, identity string, release func()) {
	rm, err := g.rooms.acquire(ref)
	if err != nil {
		release()
		http.Error(w, "gateway shutting down", http.StatusServiceUnavailable)
		return
	}
	own := &ownReader{ResponseWriter: w}
	conn, err := g.upgrader.Upgrade(own, r, nil)
	if err != nil {
		release()
		g.rooms.release(rm) // the upgrader answered the request
		return
	}
	c := newClient(uuid.NewString(), conn, &g.limits, g.metrics)
	c.identity = identity
	c.raw = newRawSocket(own.br, c.nc)
	// Everything but the read loop runs here, on net/http's goroutine, so
	// the reader goroutine stays shallow (see readLoop).
	g.metrics.connsOpen.Inc()
	c.prepareRead()
	if !rm.post(func() { rm.onJoin(c) }) {
		c.close(closeReq{code: websocket.CloseServiceRestart, reason: reasonRestarting})
	}
	c.resume = func() { g.runSocket(rm, c, release, true) }
	go g.runSocket(rm, c, release, false)
}

// refuse answers an upgrade refused before the handshake with a one-line
// body and counts it.
func (g *Gateway) refuse(w http.ResponseWriter, no *refusal) {
	g.metrics.refused.WithLabelValues(no.reason).Inc()
	http.Error(w, no.msg, no.status)
}

// runSocket is a client's reader goroutine; resumed says the idle poller
// started it (see readLoop). It returns when the client goes idle, its
// socket parked, or when the read loop ends: it then waits for the
// connection to finish (done), so no writer runs when it releases the
// room. Shutdown waits for it through the room registry.
func (g *Gateway) runSocket(rm *room, c *client, release func(), resumed bool) {
	end, parked := c.readLoop(resumed, func(data []byte, binary bool) bool {
		return rm.post(func() { rm.onMessage(c, data, binary) })
	})
	if parked {
		return
	}
	g.endSocket(rm, c, end)
	release()
}

// endSocket tells the room the client's reading ended and waits for the
// connection to finish.
func (g *Gateway) endSocket(rm *room, c *client, end readEnd) {
	defer g.rooms.release(rm)
	defer g.metrics.connsOpen.Dec()
	if !rm.post(func() { rm.onGone(c, end) }) {
		c.kill()
	}
	// The room answers within CloseWait; the writer then needs at most a
	// write timeout for queued frames and CloseWait for the close handshake.
	bound := time.NewTimer(2*g.limits.closeWait + g.limits.writeTimeout)
	defer bound.Stop()
	done := c.wait(&c.done)
	select {
	case <-done:
	case <-bound.C:
		c.kill()
		<-done
	}
	g.metrics.closed(c.finalCode())
}
