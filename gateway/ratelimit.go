package gateway

import "time"

// bucket is a token bucket for one client's messages (SPEC §9: a client
// over its rate is closed with 1008). Only the client's reader uses it, so
// it has no lock. A zero rate allows everything.
type bucket struct {
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64, burst int) bucket {
	if rate <= 0 {
		return bucket{}
	}
	return bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// allow takes one token at now, reporting false when none is left.
func (b *bucket) allow(now time.Time) bool {
	if b.rate <= 0 {
		return true
	}
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
