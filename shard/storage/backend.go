package storage

import (
	"context"
	"time"
)

// KV is one stored entry.
type KV struct {
	Key   string
	Value []byte
}

// Alarm is a room's pending alarm.
type Alarm struct {
	Room string
	At   time.Time
}

// Lease is the right to commit for one room, as a fencing token. Epochs of a
// room increase with every AcquireLease and are stored durably, so they never
// repeat, even across restarts.
type Lease struct {
	Room   string
	Holder string
	Epoch  uint64
}

// Reader is the read side of a backend. Reads are not fenced: the room's
// runtime is its only reader.
type Reader interface {
	// Get returns key's value and whether it exists.
	Get(ctx context.Context, room, key string) (value []byte, found bool, err error)
	// GetMany returns the values of the keys that exist, read at one point in
	// time; missing keys are absent from the map.
	GetMany(ctx context.Context, room string, keys []string) (map[string][]byte, error)
	// List returns the room's entries selected by opts, in key byte order
	// (descending when opts.Reverse), read at one point in time.
	List(ctx context.Context, room string, opts ListOptions) ([]KV, error)
	// GetAlarm returns the room's alarm time and whether one is set.
	GetAlarm(ctx context.Context, room string) (at time.Time, found bool, err error)
}

// Backend is a durable per-room key-value store with fenced commits.
// All methods are safe to call concurrently.
type Backend interface {
	Reader

	// Commit applies b to lease.Room atomically and durably, if lease is still
	// the room's current lease; else it returns ErrFenced and writes nothing.
	// When it returns nil the writes survive a crash. An error wrapping
	// ErrOutcomeUnknown (or any error other than ErrFenced and ErrClosed)
	// leaves the outcome unknown: reload the room before trusting its state.
	// b must not be changed while Commit runs.
	Commit(ctx context.Context, lease Lease, b *Batch) error

	// AcquireLease makes holder the room's lease holder with a new, higher
	// epoch, fencing every earlier lease of the room. It never waits for the
	// previous holder: who may take a room is decided by the cluster ring.
	// Once it returns, every commit accepted under an earlier lease is
	// visible to reads.
	AcquireLease(ctx context.Context, room, holder string) (Lease, error)

	// ReleaseLease ends lease if it is still current, so later commits under
	// it fail with ErrFenced. Releasing a superseded lease does nothing.
	ReleaseLease(ctx context.Context, lease Lease) error

	// CurrentLease returns the room's lease and true while one is held: it
	// was acquired and neither released nor superseded. A shard about to
	// take a room asks who holds it, so that a previous owner still alive
	// can finish and hand the room over first.
	CurrentLease(ctx context.Context, room string) (Lease, bool, error)

	// DueAlarms returns up to limit alarms (all when limit <= 0) set at or
	// before the given time, ordered by time then room, across all rooms.
	DueAlarms(ctx context.Context, before time.Time, limit int) ([]Alarm, error)

	// Close releases the backend. Calls after Close return ErrClosed; Close
	// itself is idempotent.
	Close() error
}
