package storagetest

import (
	"testing"

	"github.com/roomshard/roomshard/shard/storage"
)

// Opener opens a fresh, empty backend for one test and closes it in
// t.Cleanup.
type Opener func(t *testing.T) storage.Backend

// Option adds to what Run checks.
type Option func(*suite)

// WithReopen enables the durability tests. newPlace makes a fresh place for
// data (a directory, a database) and returns an Opener bound to it: every
// call opens a backend over the same data, and the suite closes each before
// opening the next.
func WithReopen(newPlace func(t *testing.T) Opener) Option {
	return func(s *suite) { s.newPlace = newPlace }
}

type suite struct {
	open     Opener
	newPlace func(t *testing.T) Opener
}

// Run runs the conformance suite against the backend open returns.
func Run(t *testing.T, open Opener, opts ...Option) {
	s := &suite{open: open}
	for _, opt := range opts {
		opt(s)
	}
	tests := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"GetPutDelete", s.testGetPutDelete},
		{"GetMany", s.testGetMany},
		{"RoomsAreSeparate", s.testRoomsAreSeparate},
		{"List", s.testList},
		{"ListInvalidOptions", s.testListInvalidOptions},
		{"ViewReadsOwnWrites", s.testViewReadsOwnWrites},
		{"ViewListOverlay", s.testViewListOverlay},
		{"Limits", s.testLimits},
		{"DeleteAll", s.testDeleteAll},
		{"CommitIsAtomic", s.testCommitIsAtomic},
		{"CanceledCommitWritesNothing", s.testCanceledCommitWritesNothing},
		{"Alarms", s.testAlarms},
		{"DueAlarms", s.testDueAlarms},
		{"Fencing", s.testFencing},
		{"FencedCommitWritesNothing", s.testFencedCommitWritesNothing},
		{"ConcurrentRooms", s.testConcurrentRooms},
		{"ConcurrentAcquire", s.testConcurrentAcquire},
		{"Closed", s.testClosed},
		{"Durability", s.testDurability},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t)
		})
	}
}
