package direct

import (
	"sync"

	"github.com/gorilla/websocket"
)

// Namespaces the hub serves and their classes.
const (
	classEcho      = "echo"
	classBroadcast = "broadcast"
	// classPlain relays each message verbatim to every member, sender
	// included: the baseline for bench.Plain targets.
	classPlain = "plain"
)

func knownClass(ns string) bool {
	return ns == classEcho || ns == classBroadcast || ns == classPlain
}

// room is one room's membership. Handlers run under mu, so a room's events
// are processed one at a time and every member sees broadcasts in the same
// order.
type room struct {
	key   string
	class string

	mu      sync.Mutex // protects members and each member's idx
	members []*conn
}

// add appends c; the caller holds Hub.mu.
func (r *room) add(c *conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c.room, c.idx = r, len(r.members)
	r.members = append(r.members, c)
}

// remove drops c and reports how many members remain; the caller holds Hub.mu.
func (r *room) remove(c *conn) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	last := len(r.members) - 1
	moved := r.members[last]
	r.members[c.idx], moved.idx = moved, c.idx
	r.members[last] = nil
	r.members = r.members[:last]
	return len(r.members)
}

// count returns the number of members.
func (r *room) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.members)
}

// onMessage runs the room class's message handler for a message from c.
func (r *room) onMessage(c *conn, msg []byte) {
	switch r.class {
	case classEcho:
		c.send(frame(opText, echoText(msg)))
	case classBroadcast:
		r.broadcast(c, msg)
	case classPlain:
		f := frame(opText, msg)
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, m := range r.members {
			m.send(f)
		}
	}
}

// broadcast sends the three texts of SPEC §4, each frame encoded once.
func (r *room) broadcast(c *conn, msg []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.members)
	self := frame(opText, broadcastText(msg, c.id, toSelf, n))
	others := frame(opText, broadcastText(msg, c.id, toOthers, n))
	all := frame(opText, broadcastText(msg, c.id, toAll, n))
	// Each socket gets its two texts in one send, so one write carries both
	// and each socket still sees the SPEC order (self or others, then all).
	for _, m := range r.members {
		if m == c {
			m.send(self, all)
		} else {
			m.send(others, all)
		}
	}
}

// closeReply is the close frame a room answers a client's close with.
func (r *room) closeReply(code int) (int, string) {
	switch {
	case r.class == classBroadcast:
		return websocket.CloseNormalClosure, closingReason
	case code == websocket.CloseNoStatusReceived:
		return websocket.CloseNormalClosure, ""
	}
	return code, ""
}
