package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/google/btree"

	"github.com/roomshard/roomshard/shard/storage"
)

const btreeDegree = 32

// Store is an in-memory storage.Backend.
type Store struct {
	// protects every field below
	mu     sync.RWMutex
	closed bool
	rooms  map[string]*btree.BTreeG[storage.KV]
	alarms map[string]time.Time
	// alarmIndex orders alarms by time, then room, for DueAlarms.
	alarmIndex *btree.BTreeG[storage.Alarm]
	leases     map[string]leaseState
}

// leaseState is a room's current lease; released leases keep their epoch so
// the next one is higher.
type leaseState struct {
	epoch    uint64
	holder   string
	released bool
}

var _ storage.Backend = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		rooms:      make(map[string]*btree.BTreeG[storage.KV]),
		alarms:     make(map[string]time.Time),
		alarmIndex: btree.NewG(btreeDegree, alarmLess),
		leases:     make(map[string]leaseState),
	}
}

func keyLess(a, b storage.KV) bool { return a.Key < b.Key }

func alarmLess(a, b storage.Alarm) bool {
	if c := a.At.Compare(b.At); c != 0 {
		return c < 0
	}
	return a.Room < b.Room
}

// Close drops the data. It is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.rooms, s.alarms, s.leases = nil, nil, nil
	s.alarmIndex = btree.NewG(btreeDegree, alarmLess)
	return nil
}

// readLocked runs fn under the read lock after the common checks.
func (s *Store) readLocked(ctx context.Context, room string, fn func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := storage.CheckRoom(room); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return storage.ErrClosed
	}
	fn()
	return nil
}

// Get implements storage.Reader.
func (s *Store) Get(ctx context.Context, room, key string) ([]byte, bool, error) {
	if err := storage.CheckKey(key); err != nil {
		return nil, false, err
	}
	var kv storage.KV
	var found bool
	err := s.readLocked(ctx, room, func() {
		if tree := s.rooms[room]; tree != nil {
			kv, found = tree.Get(storage.KV{Key: key})
		}
	})
	return slices.Clone(kv.Value), found, err
}

// GetMany implements storage.Reader.
func (s *Store) GetMany(ctx context.Context, room string, keys []string) (map[string][]byte, error) {
	for _, key := range keys {
		if err := storage.CheckKey(key); err != nil {
			return nil, err
		}
	}
	out := make(map[string][]byte, len(keys))
	err := s.readLocked(ctx, room, func() {
		tree := s.rooms[room]
		if tree == nil {
			return
		}
		for _, key := range keys {
			if kv, ok := tree.Get(storage.KV{Key: key}); ok {
				out[key] = slices.Clone(kv.Value)
			}
		}
	})
	return out, err
}

// List implements storage.Reader.
func (s *Store) List(ctx context.Context, room string, opts storage.ListOptions) ([]storage.KV, error) {
	r, err := opts.Range()
	if err != nil {
		return nil, err
	}
	var out []storage.KV
	err = s.readLocked(ctx, room, func() {
		if tree := s.rooms[room]; tree != nil && !r.Empty() {
			out = scan(tree, r, opts.Reverse, opts.Limit)
		}
	})
	return out, err
}

// scan collects the entries of tree within r, in order, up to limit.
func scan(tree *btree.BTreeG[storage.KV], r storage.KeyRange, reverse bool, limit int) []storage.KV {
	var out []storage.KV
	visit := func(kv storage.KV) bool {
		if !r.Contains(kv.Key) {
			// Only a descending walk gets here, below Lo: it is done.
			return false
		}
		out = append(out, storage.KV{Key: kv.Key, Value: slices.Clone(kv.Value)})
		return limit == 0 || len(out) < limit
	}
	switch {
	case reverse && r.HasHi:
		tree.DescendLessOrEqual(storage.KV{Key: r.Hi}, func(kv storage.KV) bool {
			return kv.Key == r.Hi || visit(kv)
		})
	case reverse:
		tree.Descend(visit)
	case r.HasHi:
		tree.AscendRange(storage.KV{Key: r.Lo}, storage.KV{Key: r.Hi}, visit)
	default:
		tree.AscendGreaterOrEqual(storage.KV{Key: r.Lo}, visit)
	}
	return out
}

// GetAlarm implements storage.Reader.
func (s *Store) GetAlarm(ctx context.Context, room string) (time.Time, bool, error) {
	var at time.Time
	var found bool
	err := s.readLocked(ctx, room, func() { at, found = s.alarms[room] })
	return at, found, err
}

// DueAlarms implements storage.Backend.
func (s *Store) DueAlarms(ctx context.Context, before time.Time, limit int) ([]storage.Alarm, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, storage.ErrClosed
	}
	before = storage.TruncateAlarm(before)
	var out []storage.Alarm
	s.alarmIndex.Ascend(func(a storage.Alarm) bool {
		if a.At.After(before) {
			return false
		}
		out = append(out, a)
		return limit <= 0 || len(out) < limit
	})
	return out, nil
}
