package gateway

import (
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// readBufferSize is each connection's read buffer. Small, because idle
// connections dominate; a large message is read through it in pieces.
const readBufferSize = 1024

// newUpgrader returns the gateway's upgrader. The origin is checked before
// Upgrade (so the 403 has our body); writes bypass gorilla's write buffer
// (see frame), so the pool only serves the handshake.
func newUpgrader(handshakeTimeout time.Duration) *websocket.Upgrader {
	return &websocket.Upgrader{
		ReadBufferSize:   readBufferSize,
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
	conn, err := g.upgrader.Upgrade(w, r, nil)
	if err != nil {
		release()
		g.rooms.release(rm) // the upgrader answered the request
		return
	}
	c := newClient(uuid.NewString(), conn, g.limits, g.metrics)
	c.identity = identity
	go func() {
		defer release()
		g.runSocket(rm, c)
	}()
}

// refuse answers an upgrade refused before the handshake with a one-line
// body and counts it.
func (g *Gateway) refuse(w http.ResponseWriter, no *refusal) {
	g.metrics.refused.WithLabelValues(no.reason).Inc()
	http.Error(w, no.msg, no.status)
}

// runSocket is a client's reader goroutine. It starts the writer and waits
// for it, so both have ended when it releases the room. Shutdown waits for
// it through the room registry.
func (g *Gateway) runSocket(rm *room, c *client) {
	defer g.rooms.release(rm)
	g.metrics.connsOpen.Inc()
	defer g.metrics.connsOpen.Dec()
	go c.writeLoop()

	if !rm.post(func() { rm.onJoin(c) }) {
		c.close(closeReq{code: websocket.CloseServiceRestart, reason: reasonRestarting})
	}
	end := c.readLoop(func(data []byte, binary bool) bool {
		return rm.post(func() { rm.onMessage(c, data, binary) })
	})
	if !rm.post(func() { rm.onGone(c, end) }) {
		c.kill()
	}
	// The room answers within CloseWait; the writer then needs at most a
	// write timeout for queued frames and CloseWait for the close handshake.
	bound := time.NewTimer(2*g.limits.closeWait + g.limits.writeTimeout)
	defer bound.Stop()
	select {
	case <-c.done:
	case <-bound.C:
		c.kill()
		<-c.done
	}
	g.metrics.closed(c.finalCode())
}
