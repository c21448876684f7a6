package gateway

import (
	"net"
	"net/http"
	"sync"
)

// connLimiter counts this gateway's client WebSockets in total, per client
// IP and per room, and refuses one more past a limit (SPEC §9). Refusals
// happen before the upgrade, as HTTP answers a client can act on: 503 for
// the gateway or room being full (try later or elsewhere), 429 for an IP
// with too many sockets. Safe for concurrent use.
type connLimiter struct {
	maxTotal, maxPerIP, maxPerRoom int // <= 0: unlimited

	// protects total, perIP and perRoom
	mu      sync.Mutex
	total   int
	perIP   map[string]int
	perRoom map[string]int
}

func newConnLimiter(total, perIP, perRoom int) *connLimiter {
	return &connLimiter{maxTotal: total, maxPerIP: perIP, maxPerRoom: perRoom,
		perIP: map[string]int{}, perRoom: map[string]int{}}
}

// refusal says why acquire refused: the metric label, HTTP status and body.
type refusal struct {
	reason string
	status int
	msg    string
}

// acquire takes a slot for a socket from ip in room, or says why not. The
// returned release gives the slot back; call it exactly once.
func (l *connLimiter) acquire(ip, room string) (release func(), refused *refusal) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.maxTotal > 0 && l.total >= l.maxTotal:
		return nil, &refusal{"limit_gateway", http.StatusServiceUnavailable, "gateway at its connection limit; try again later"}
	case l.maxPerIP > 0 && l.perIP[ip] >= l.maxPerIP:
		return nil, &refusal{"limit_ip", http.StatusTooManyRequests, "too many connections from your address"}
	case l.maxPerRoom > 0 && l.perRoom[room] >= l.maxPerRoom:
		return nil, &refusal{"limit_room", http.StatusServiceUnavailable, "room at its connection limit on this gateway; try again later"}
	}
	l.total++
	l.perIP[ip]++
	l.perRoom[room]++
	var once sync.Once
	return func() { once.Do(func() { l.release(ip, room) }) }, nil
}

func (l *connLimiter) release(ip, room string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	decr(l.perIP, ip)
	decr(l.perRoom, room)
}

// decr lowers m[k], deleting it at zero so the maps stay as small as the
// set of live keys.
func decr(m map[string]int, k string) {
	if m[k] <= 1 {
		delete(m, k)
		return
	}
	m[k]--
}

// clientIP is the TCP peer's address without port. X-Forwarded-For is not
// trusted: anyone can send it.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
