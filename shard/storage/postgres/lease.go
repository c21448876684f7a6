package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/roomshard/roomshard/shard/storage"
)

// AcquireLease implements storage.Backend with one upsert that bumps the
// room's epoch. The upsert locks the lease row, so it waits for a commit
// transaction holding it, and every later commit under the old epoch fails.
func (s *Store) AcquireLease(ctx context.Context, room, holder string) (storage.Lease, error) {
	if err := s.checkRead(ctx, room); err != nil {
		return storage.Lease{}, err
	}
	var epoch int64
	err := s.pool.QueryRow(ctx, `
		INSERT INTO roomshard_leases (room, epoch, holder, released) VALUES ($1, 1, $2, false)
		ON CONFLICT (room) DO UPDATE
			SET epoch = roomshard_leases.epoch + 1, holder = EXCLUDED.holder, released = false
		RETURNING epoch`, []byte(room), holder).Scan(&epoch)
	if err != nil {
		return storage.Lease{}, wrapErr("acquire lease of room "+room, err)
	}
	return storage.Lease{Room: room, Holder: holder, Epoch: uint64(epoch)}, nil
}

// ReleaseLease implements storage.Backend.
func (s *Store) ReleaseLease(ctx context.Context, lease storage.Lease) error {
	if err := s.checkRead(ctx, lease.Room); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `
		UPDATE roomshard_leases SET released = true
		WHERE room = $1 AND epoch = $2 AND NOT released`, []byte(lease.Room), int64(lease.Epoch))
	return wrapErr("release lease of room "+lease.Room, err)
}

// CurrentLease implements storage.Backend.
func (s *Store) CurrentLease(ctx context.Context, room string) (storage.Lease, bool, error) {
	if err := s.checkRead(ctx, room); err != nil {
		return storage.Lease{}, false, err
	}
	var epoch int64
	var holder string
	err := s.pool.QueryRow(ctx, `
		SELECT epoch, holder FROM roomshard_leases WHERE room = $1 AND NOT released`,
		[]byte(room)).Scan(&epoch, &holder)
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.Lease{}, false, nil
	}
	if err != nil {
		return storage.Lease{}, false, wrapErr("read lease of room "+room, err)
	}
	return storage.Lease{Room: room, Holder: holder, Epoch: uint64(epoch)}, true, nil
}
