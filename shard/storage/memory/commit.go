package memory

import (
	"context"
	"fmt"

	"github.com/google/btree"

	"github.com/roomshard/roomshard/shard/storage"
)

// Commit implements storage.Backend.
func (s *Store) Commit(ctx context.Context, lease storage.Lease, b *storage.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := storage.CheckRoom(lease.Room); err != nil {
		return err
	}
	m := b.Mutation()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return storage.ErrClosed
	}
	if !s.isCurrent(lease) {
		return fmt.Errorf("commit room %s under epoch %d: %w", lease.Room, lease.Epoch, storage.ErrFenced)
	}
	s.applyKeys(lease.Room, m)
	s.applyAlarm(lease.Room, m.Alarm)
	return nil
}

func (s *Store) isCurrent(lease storage.Lease) bool {
	cur, ok := s.leases[lease.Room]
	return ok && !cur.released && cur.epoch == lease.Epoch
}

func (s *Store) applyKeys(room string, m storage.Mutation) {
	tree := s.rooms[room]
	if tree == nil || m.DeleteAll {
		tree = btree.NewG(btreeDegree, keyLess)
		s.rooms[room] = tree
	}
	for _, key := range m.Deletes {
		tree.Delete(storage.KV{Key: key})
	}
	for _, kv := range m.Puts {
		// Batch values are never modified after Put copied them.
		tree.ReplaceOrInsert(kv)
	}
	if tree.Len() == 0 {
		delete(s.rooms, room)
	}
}

func (s *Store) applyAlarm(room string, change storage.AlarmChange) {
	if change.Op == storage.AlarmKeep {
		return
	}
	if old, ok := s.alarms[room]; ok {
		s.alarmIndex.Delete(storage.Alarm{Room: room, At: old})
		delete(s.alarms, room)
	}
	if change.Op == storage.AlarmSet {
		s.alarms[room] = change.At
		s.alarmIndex.ReplaceOrInsert(storage.Alarm{Room: room, At: change.At})
	}
}
