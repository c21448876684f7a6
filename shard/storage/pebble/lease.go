package pebble

import (
	"context"

	"github.com/cockroachdb/pebble"

	"github.com/roomshard/roomshard/shard/storage"
)

// AcquireLease implements storage.Backend. It goes through the committer,
// so commits accepted under the previous lease are durable before it returns.
func (s *Store) AcquireLease(ctx context.Context, room, holder string) (storage.Lease, error) {
	if err := storage.CheckRoom(room); err != nil {
		return storage.Lease{}, err
	}
	req := &request{kind: kindAcquire, lease: storage.Lease{Room: room, Holder: holder}}
	if err := s.do(ctx, req); err != nil {
		return storage.Lease{}, wrapErr("acquire lease of room "+room, err)
	}
	return req.granted, nil
}

// ReleaseLease implements storage.Backend.
func (s *Store) ReleaseLease(ctx context.Context, lease storage.Lease) error {
	if err := storage.CheckRoom(lease.Room); err != nil {
		return err
	}
	return wrapErr("release lease of room "+lease.Room, s.do(ctx, &request{kind: kindRelease, lease: lease}))
}

// CurrentLease implements storage.Backend. It reads what the committer
// has written, so a lease being acquired or released in the group now in
// flight shows once that group is durable.
func (s *Store) CurrentLease(ctx context.Context, room string) (storage.Lease, bool, error) {
	if err := checkRead(ctx, room); err != nil {
		return storage.Lease{}, false, err
	}
	var rec leaseRecord
	var found bool
	err := s.withDB(func(db *pebble.DB) error {
		raw, ok, err := getCopy(db, leaseKey(room))
		if err != nil || !ok {
			return err
		}
		rec, err = decodeLease(raw)
		found = err == nil && !rec.released && rec.epoch != 0
		return err
	})
	if err != nil {
		return storage.Lease{}, false, wrapErr("read lease of room "+room, err)
	}
	if !found {
		return storage.Lease{}, false, nil
	}
	return storage.Lease{Room: room, Holder: rec.holder, Epoch: rec.epoch}, true, nil
}

func (s *Store) do(ctx context.Context, req *request) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	return s.shared.committer.Do(ctx, req)
}

func (st *groupState) acquire(batch *pebble.Batch, req *request) error {
	cur, err := st.lease(req.lease.Room)
	if err != nil {
		return err
	}
	next := leaseRecord{epoch: cur.epoch + 1, holder: req.lease.Holder}
	_ = batch.Set(leaseKey(req.lease.Room), next.encode(), nil)
	st.leases[req.lease.Room] = next
	req.granted = storage.Lease{Room: req.lease.Room, Holder: next.holder, Epoch: next.epoch}
	return nil
}

func (st *groupState) release(batch *pebble.Batch, req *request) error {
	cur, err := st.lease(req.lease.Room)
	if err != nil || !cur.current(req.lease) {
		return err
	}
	cur.released = true
	_ = batch.Set(leaseKey(req.lease.Room), cur.encode(), nil)
	st.leases[req.lease.Room] = cur
	return nil
}
