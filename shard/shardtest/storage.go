package shardtest

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/roomshard/roomshard/shard/storage"
)

// Storage wraps a storage backend for tests of the output gate and of
// commit failures: it counts commits and lease acquisitions, can hold
// commits until released, and can fail the next commits. Give it to a
// Host as HostConfig.Storage.
type Storage struct {
	storage.Backend
	commits atomic.Int64
	leases  atomic.Int64

	// protects gate, failures and failErr
	mu       sync.Mutex
	gate     chan struct{} // non-nil while held
	failures int
	failErr  error
}

// NewStorage wraps b.
func NewStorage(b storage.Backend) *Storage { return &Storage{Backend: b} }

// Hold makes commits wait until Release (or their context ends).
func (s *Storage) Hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate == nil {
		s.gate = make(chan struct{})
	}
}

// Release lets held and later commits through.
func (s *Storage) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
}

// FailCommits makes the next n commits fail with err without writing.
func (s *Storage) FailCommits(n int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures, s.failErr = n, err
}

// Commits is how many commits reached the backend (failed ones included).
func (s *Storage) Commits() int64 { return s.commits.Load() }

// Leases is how many leases were acquired.
func (s *Storage) Leases() int64 { return s.leases.Load() }

// Commit implements storage.Backend.
func (s *Storage) Commit(ctx context.Context, lease storage.Lease, b *storage.Batch) error {
	s.commits.Add(1)
	s.mu.Lock()
	gate := s.gate
	var err error
	if s.failures > 0 {
		s.failures--
		err = s.failErr
	}
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return storage.ErrOutcomeUnknown
		}
	}
	if err != nil {
		return err
	}
	return s.Backend.Commit(ctx, lease, b)
}

// AcquireLease implements storage.Backend.
func (s *Storage) AcquireLease(ctx context.Context, room, holder string) (storage.Lease, error) {
	s.leases.Add(1)
	return s.Backend.AcquireLease(ctx, room, holder)
}
