package bench

import (
	"errors"
	"maps"
	"net"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"
)

// Error kinds counted by Counters.Error.
const (
	ErrKindDial    = "dial"
	ErrKindWrite   = "write"
	ErrKindRead    = "read"
	ErrKindDecode  = "decode"
	ErrKindTimeout = "timeout"
)

// Counters tallies what a scenario's clients did. All methods are safe for
// concurrent use.
type Counters struct {
	// Sent counts messages written by clients. (Received frames are counted
	// per member, uncontended, and added by Fleet.Snapshot.)
	Sent atomic.Uint64
	// Reconnects counts successful re-dials after a disconnect.
	Reconnects atomic.Uint64

	mu     sync.Mutex // protects errs and closes
	errs   map[string]uint64
	closes map[int]uint64
}

// Error counts one error of the given kind.
func (c *Counters) Error(kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.errs == nil {
		c.errs = make(map[string]uint64)
	}
	c.errs[kind]++
}

// Disconnect counts one connection the server (or network) ended, by close
// code; 1006 stands for an abnormal closure without a close frame.
func (c *Counters) Disconnect(code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closes == nil {
		c.closes = make(map[int]uint64)
	}
	c.closes[code]++
}

// Snapshot returns a JSON-friendly copy of the counters.
func (c *Counters) Snapshot() CounterSnapshot {
	s := CounterSnapshot{
		Sent:       c.Sent.Load(),
		Reconnects: c.Reconnects.Load(),
		Errors:     map[string]uint64{},
		Disconnect: map[string]uint64{},
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	maps.Copy(s.Errors, c.errs)
	for code, n := range c.closes {
		s.Disconnect[strconv.Itoa(code)] = n
	}
	return s
}

// CounterSnapshot is a point-in-time copy of Counters.
type CounterSnapshot struct {
	Sent uint64 `json:"sent"`
	// Delivered counts frames carrying a harness payload received by a
	// member other than the frame's sender (for echo: replies received).
	Delivered uint64 `json:"delivered"`
	// SelfFrames counts frames a sender received about its own message.
	SelfFrames uint64            `json:"self_frames"`
	Reconnects uint64            `json:"reconnects"`
	Errors     map[string]uint64 `json:"errors"`
	// Disconnect counts server-side closes by close code (as a string key).
	Disconnect map[string]uint64 `json:"disconnects"`
}

// Merge adds o into s.
func (s *CounterSnapshot) Merge(o CounterSnapshot) {
	s.Sent += o.Sent
	s.Delivered += o.Delivered
	s.SelfFrames += o.SelfFrames
	s.Reconnects += o.Reconnects
	if s.Errors == nil {
		s.Errors = map[string]uint64{}
	}
	if s.Disconnect == nil {
		s.Disconnect = map[string]uint64{}
	}
	for k, v := range o.Errors {
		s.Errors[k] += v
	}
	for k, v := range o.Disconnect {
		s.Disconnect[k] += v
	}
}

// TotalErrors sums all error kinds.
func (s CounterSnapshot) TotalErrors() uint64 {
	var n uint64
	for _, v := range s.Errors {
		n += v
	}
	return n
}

// TotalDisconnects sums disconnects over all close codes.
func (s CounterSnapshot) TotalDisconnects() uint64 {
	var n uint64
	for _, v := range s.Disconnect {
		n += v
	}
	return n
}

// closeCode classifies a read error: the peer's close code when it sent a
// close frame, 1006 (abnormal closure) otherwise.
func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return websocket.CloseAbnormalClosure
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
