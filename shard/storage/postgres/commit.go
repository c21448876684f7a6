package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roomshard/roomshard/shard/storage"
)

// commitRequest is one room's commit for the committer.
type commitRequest struct {
	lease storage.Lease
	// mutation's slices are never modified, so it stays valid even if
	// Commit returns before the committer is done.
	mutation storage.Mutation
}

// Commit implements storage.Backend.
func (s *Store) Commit(ctx context.Context, lease storage.Lease, b *storage.Batch) error {
	if err := storage.CheckRoom(lease.Room); err != nil {
		return err
	}
	if s.closed.Load() {
		return storage.ErrClosed
	}
	req := &commitRequest{lease: lease, mutation: b.Mutation()}
	return wrapErr("commit room "+lease.Room, s.committer.Do(ctx, req))
}

const (
	flushAttempts = 5
	retryPause    = 20 * time.Millisecond
)

// flush writes a group of commits in one transaction, retrying it whole on
// serialization failures and deadlocks.
func (s *Store) flush(ctx context.Context, group []*commitRequest) []error {
	ctx, cancel := context.WithTimeout(ctx, s.commitTimeout)
	defer cancel()
	var errs []error
	var err error
	for attempt := range flushAttempts {
		if attempt > 0 {
			time.Sleep(retryPause << attempt)
		}
		errs = make([]error, len(group))
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return writeGroup(ctx, tx, group, errs) })
		if !retryable(err) {
			break
		}
	}
	if err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("writing group of %d: %w", len(group), err)
			}
		}
	}
	return errs
}

func retryable(err error) bool {
	switch sqlState(err) {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return true
	}
	return false
}

// writeGroup locks the group's lease rows, marks fenced requests in errs
// and writes the others.
func writeGroup(ctx context.Context, tx pgx.Tx, group []*commitRequest, errs []error) error {
	epochs, err := lockLeases(ctx, tx, group)
	if err != nil {
		return err
	}
	var batch pgx.Batch
	for i, req := range group {
		cur, ok := epochs[req.lease.Room]
		if !ok || cur != int64(req.lease.Epoch) {
			errs[i] = fmt.Errorf("epoch %d: %w", req.lease.Epoch, storage.ErrFenced)
			continue
		}
		queueWrites(&batch, req)
	}
	if batch.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, &batch).Close()
}

// lockLeases locks the lease rows of the group's rooms, in room order so
// that two processes' groups never wait on each other in a cycle, and
// returns the current (unreleased) epoch of each room that has one.
func lockLeases(ctx context.Context, tx pgx.Tx, group []*commitRequest) (map[string]int64, error) {
	var rooms [][]byte
	for _, req := range group {
		rooms = append(rooms, []byte(req.lease.Room))
	}
	slices.SortFunc(rooms, func(a, b []byte) int { return slices.Compare(a, b) })
	rooms = slices.CompactFunc(rooms, slices.Equal)
	rows, _ := tx.Query(ctx, `
		SELECT room, epoch FROM roomshard_leases
		WHERE room = ANY($1) AND NOT released
		ORDER BY room FOR UPDATE`, rooms)
	epochs := make(map[string]int64, len(rooms))
	var room []byte
	var epoch int64
	_, err := pgx.ForEachRow(rows, []any{&room, &epoch}, func() error {
		epochs[string(room)] = epoch
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("locking leases: %w", err)
	}
	return epochs, nil
}

// queueWrites adds one commit's statements to batch.
func queueWrites(batch *pgx.Batch, req *commitRequest) {
	room, m := []byte(req.lease.Room), req.mutation
	if m.DeleteAll {
		batch.Queue(`DELETE FROM roomshard_kv WHERE room = $1`, room)
	}
	if len(m.Deletes) > 0 {
		keys := make([][]byte, len(m.Deletes))
		for i, key := range m.Deletes {
			keys[i] = []byte(key)
		}
		batch.Queue(`DELETE FROM roomshard_kv WHERE room = $1 AND key = ANY($2)`, room, keys)
	}
	for _, kv := range m.Puts {
		batch.Queue(`INSERT INTO roomshard_kv (room, key, value) VALUES ($1, $2, $3)
			ON CONFLICT (room, key) DO UPDATE SET value = EXCLUDED.value`, room, []byte(kv.Key), nonNil(kv.Value))
	}
	switch m.Alarm.Op {
	case storage.AlarmSet:
		batch.Queue(`INSERT INTO roomshard_alarms (room, at_ms) VALUES ($1, $2)
			ON CONFLICT (room) DO UPDATE SET at_ms = EXCLUDED.at_ms`, room, m.Alarm.At.UnixMilli())
	case storage.AlarmDelete:
		batch.Queue(`DELETE FROM roomshard_alarms WHERE room = $1`, room)
	}
}
