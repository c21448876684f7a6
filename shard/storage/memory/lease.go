package memory

import (
	"context"

	"github.com/roomshard/roomshard/shard/storage"
)

// AcquireLease implements storage.Backend.
func (s *Store) AcquireLease(ctx context.Context, room, holder string) (storage.Lease, error) {
	if err := ctx.Err(); err != nil {
		return storage.Lease{}, err
	}
	if err := storage.CheckRoom(room); err != nil {
		return storage.Lease{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return storage.Lease{}, storage.ErrClosed
	}
	next := leaseState{epoch: s.leases[room].epoch + 1, holder: holder}
	s.leases[room] = next
	return storage.Lease{Room: room, Holder: holder, Epoch: next.epoch}, nil
}

// ReleaseLease implements storage.Backend.
func (s *Store) ReleaseLease(ctx context.Context, lease storage.Lease) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return storage.ErrClosed
	}
	if s.isCurrent(lease) {
		cur := s.leases[lease.Room]
		cur.released = true
		s.leases[lease.Room] = cur
	}
	return nil
}

// CurrentLease implements storage.Backend.
func (s *Store) CurrentLease(ctx context.Context, room string) (storage.Lease, bool, error) {
	if err := ctx.Err(); err != nil {
		return storage.Lease{}, false, err
	}
	if err := storage.CheckRoom(room); err != nil {
		return storage.Lease{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return storage.Lease{}, false, storage.ErrClosed
	}
	cur, ok := s.leases[room]
	if !ok || cur.released {
		return storage.Lease{}, false, nil
	}
	return storage.Lease{Room: room, Holder: cur.holder, Epoch: cur.epoch}, true, nil
}
