package pebble

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble"

	"github.com/roomshard/roomshard/shard/storage"
)

type requestKind uint8

const (
	kindCommit requestKind = iota
	kindAcquire
	kindRelease
)

// request is one write for the committer. The committer fills granted for
// an acquire before answering.
type request struct {
	kind  requestKind
	lease storage.Lease // commit, release: the lease; acquire: room and holder
	// mutation is a commit's writes. Its slices are never modified, so it
	// stays valid even if Commit returns before the committer is done.
	mutation storage.Mutation
	granted  storage.Lease
}

// Commit implements storage.Backend.
func (s *Store) Commit(ctx context.Context, lease storage.Lease, b *storage.Batch) error {
	if err := storage.CheckRoom(lease.Room); err != nil {
		return err
	}
	req := &request{kind: kindCommit, lease: lease, mutation: b.Mutation()}
	return wrapErr("commit room "+lease.Room, s.do(ctx, req))
}

// writeKeys adds m's key operations for room to batch. Errors from batch
// writes only come from a closed or indexed batch, neither of which this is.
func writeKeys(batch *pebble.Batch, room string, m storage.Mutation) {
	if m.DeleteAll {
		lo, hi := roomDataSpan(room)
		_ = batch.DeleteRange(lo, hi, nil)
	}
	for _, key := range m.Deletes {
		_ = batch.Delete(dataKey(room, key), nil)
	}
	for _, kv := range m.Puts {
		_ = batch.Set(dataKey(room, kv.Key), kv.Value, nil)
	}
}

// groupState is what earlier requests of the group being built changed, on
// top of what the DB holds; only the committer goroutine touches it.
type groupState struct {
	db     *pebble.DB
	leases map[string]leaseRecord
	alarms map[string]alarmState
}

type alarmState struct {
	ms  int64
	set bool
}

// flush writes a group as one batch with one sync. It runs on the
// committer goroutine only, which is the only writer of the DB, so the
// DB's state plus groupState is exact.
func (sh *shared) flush(_ context.Context, group []*request) []error {
	errs := make([]error, len(group))
	batch := sh.db.NewBatch()
	defer batch.Close()
	st := &groupState{db: sh.db, leases: map[string]leaseRecord{}, alarms: map[string]alarmState{}}
	for i, req := range group {
		switch req.kind {
		case kindCommit:
			errs[i] = st.commit(batch, req)
		case kindAcquire:
			errs[i] = st.acquire(batch, req)
		case kindRelease:
			errs[i] = st.release(batch, req)
		}
	}
	if batch.Empty() {
		return errs
	}
	if err := sh.db.Apply(batch, pebble.Sync); err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("writing group of %d: %w", len(group), err)
			}
		}
	}
	return errs
}

// commit adds req to batch if its lease is current. Everything that can
// fail is read first, so a failed request adds nothing.
func (st *groupState) commit(batch *pebble.Batch, req *request) error {
	room := req.lease.Room
	cur, err := st.lease(room)
	if err != nil {
		return err
	}
	if !cur.current(req.lease) {
		return fmt.Errorf("epoch %d: %w", req.lease.Epoch, storage.ErrFenced)
	}
	var old alarmState
	if req.mutation.Alarm.Op != storage.AlarmKeep {
		if old, err = st.alarm(room); err != nil {
			return err
		}
	}
	writeKeys(batch, room, req.mutation)
	st.writeAlarm(batch, room, old, req.mutation.Alarm)
	return nil
}

// writeAlarm writes an alarm change over old and keeps the time index in
// step.
func (st *groupState) writeAlarm(batch *pebble.Batch, room string, old alarmState, change storage.AlarmChange) {
	if change.Op == storage.AlarmKeep {
		return
	}
	if old.set {
		_ = batch.Delete(alarmIndexKey(old.ms, room), nil)
	}
	next := alarmState{}
	if change.Op == storage.AlarmSet {
		next = alarmState{ms: change.At.UnixMilli(), set: true}
		_ = batch.Set(alarmKey(room), encodeMillis(next.ms), nil)
		_ = batch.Set(alarmIndexKey(next.ms, room), nil, nil)
	} else {
		_ = batch.Delete(alarmKey(room), nil)
	}
	st.alarms[room] = next
}

func (st *groupState) lease(room string) (leaseRecord, error) {
	if l, ok := st.leases[room]; ok {
		return l, nil
	}
	raw, found, err := getCopy(st.db, leaseKey(room))
	if err != nil || !found {
		return leaseRecord{}, err
	}
	return decodeLease(raw)
}

func (st *groupState) alarm(room string) (alarmState, error) {
	if a, ok := st.alarms[room]; ok {
		return a, nil
	}
	raw, found, err := getCopy(st.db, alarmKey(room))
	if err != nil || !found {
		return alarmState{}, err
	}
	ms, err := decodeMillis(raw)
	return alarmState{ms: ms, set: true}, err
}
