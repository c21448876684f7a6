package storage

import "time"

// GroupCommit configures how a durable backend lets concurrent commits (of
// many rooms) share one sync. The zero value is the recommended setting.
type GroupCommit struct {
	// Disabled makes every commit its own write and sync. Only for
	// comparison and debugging. Default false.
	Disabled bool
	// MaxSize caps how many commits share one write. Default 256.
	MaxSize int
	// MaxWait is how long a group waits for more commits after its first one.
	// Default 0: no added latency; a group is every commit that queued while
	// the previous group was being written, which under load is what makes
	// groups large and when idle keeps a lone commit as fast as possible.
	MaxWait time.Duration
}

// DefaultGroupSize is GroupCommit.MaxSize's default.
const DefaultGroupSize = 256

// Size returns the largest group the config allows, defaults applied.
func (g GroupCommit) Size() int {
	switch {
	case g.Disabled:
		return 1
	case g.MaxSize <= 0:
		return DefaultGroupSize
	}
	return g.MaxSize
}
