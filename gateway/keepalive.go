package gateway

import "time"

// pingFrame is the keepalive ping, shared by every client: frames are
// never modified once encoded.
var pingFrame = encodeFrame(opPing, nil)

// startKeepalive arms the client's keepalive timer. A timer per client
// rather than a goroutine or a ticker: it holds no stack while it waits,
// and the ping it sends is written in place (control), so a ping round
// over idle clients starts no writer goroutines. The timer is the
// client's; end stops it.
func (c *client) startKeepalive() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ended && c.keepalive == nil {
		c.keepalive = time.AfterFunc(c.limits.pingInterval, c.keepaliveTick)
	}
}

// keepaliveTick pings the client, or drops it (1006, reported by its
// reader) when it has sent nothing, not even a pong, for two intervals. A
// client owed frames is not judged by its silence: a client that reads
// nothing answers no ping either, and killing it would pre-empt the 1013
// its queue is about to overflow into (SPEC §9). Its write timeout bounds
// it instead.
func (c *client) keepaliveTick() {
	if c.silentFor() > 2*c.limits.pingInterval && !c.busy() {
		c.kill()
		return
	}
	c.control(pingFrame)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ended {
		c.keepalive.Reset(c.limits.pingInterval)
	}
}
