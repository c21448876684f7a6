package pebble

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/roomshard/roomshard/shard/storage"
)

// getter is a DB or a snapshot.
type getter interface {
	Get(key []byte) ([]byte, io.Closer, error)
}

// getCopy returns a copy of key's value, or found false.
func getCopy(g getter, key []byte) (value []byte, found bool, err error) {
	v, closer, err := g.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer closer.Close()
	return slices.Clone(v), true, nil
}

func checkRead(ctx context.Context, room string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return storage.CheckRoom(room)
}

// Get implements storage.Reader.
func (s *Store) Get(ctx context.Context, room, key string) (value []byte, found bool, err error) {
	if err := checkRead(ctx, room); err != nil {
		return nil, false, err
	}
	if err := storage.CheckKey(key); err != nil {
		return nil, false, err
	}
	err = s.withDB(func(db *pebble.DB) error {
		value, found, err = getCopy(db, dataKey(room, key))
		return err
	})
	if err != nil {
		return nil, false, wrapErr("get from room "+room, err)
	}
	if found && value == nil {
		value = []byte{}
	}
	return value, found, nil
}

// GetMany implements storage.Reader, reading every key from one snapshot.
func (s *Store) GetMany(ctx context.Context, room string, keys []string) (map[string][]byte, error) {
	if err := checkRead(ctx, room); err != nil {
		return nil, err
	}
	for _, key := range keys {
		if err := storage.CheckKey(key); err != nil {
			return nil, err
		}
	}
	out := make(map[string][]byte, len(keys))
	err := s.withDB(func(db *pebble.DB) error {
		snap := db.NewSnapshot()
		defer snap.Close()
		for _, key := range keys {
			value, found, err := getCopy(snap, dataKey(room, key))
			if err != nil {
				return err
			}
			if found {
				if value == nil {
					value = []byte{}
				}
				out[key] = value
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrapErr("get many from room "+room, err)
	}
	return out, nil
}

// List implements storage.Reader with one range scan (an iterator reads one
// consistent state).
func (s *Store) List(ctx context.Context, room string, opts storage.ListOptions) ([]storage.KV, error) {
	if err := checkRead(ctx, room); err != nil {
		return nil, err
	}
	r, err := opts.Range()
	if err != nil {
		return nil, err
	}
	if r.Empty() {
		return nil, nil
	}
	lo, hi := dataBounds(room, r)
	prefixLen := len(roomPrefix(tagData, room))
	var out []storage.KV
	err = s.withDB(func(db *pebble.DB) error {
		return scan(ctx, db, lo, hi, opts.Reverse, func(k, v []byte) bool {
			out = append(out, storage.KV{Key: string(k[prefixLen:]), Value: slices.Clone(v)})
			return opts.Limit == 0 || len(out) < opts.Limit
		})
	})
	if err != nil {
		return nil, wrapErr("list room "+room, err)
	}
	return out, nil
}

// scan visits [lo, hi) in order (descending when reverse) until visit
// returns false.
func scan(ctx context.Context, db *pebble.DB, lo, hi []byte, reverse bool, visit func(k, v []byte) bool) error {
	iter, err := db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	valid, step := iter.First, iter.Next
	if reverse {
		valid, step = iter.Last, iter.Prev
	}
	for ok := valid(); ok; ok = step() {
		value, err := iter.ValueAndErr()
		if err != nil {
			return errors.Join(err, iter.Close())
		}
		if !visit(iter.Key(), value) {
			break
		}
	}
	return iter.Close()
}

// GetAlarm implements storage.Reader.
func (s *Store) GetAlarm(ctx context.Context, room string) (time.Time, bool, error) {
	if err := checkRead(ctx, room); err != nil {
		return time.Time{}, false, err
	}
	var raw []byte
	var found bool
	err := s.withDB(func(db *pebble.DB) (err error) {
		raw, found, err = getCopy(db, alarmKey(room))
		return err
	})
	if err != nil || !found {
		return time.Time{}, false, wrapErr("get alarm of room "+room, err)
	}
	ms, err := decodeMillis(raw)
	if err != nil {
		return time.Time{}, false, err
	}
	return time.UnixMilli(ms).UTC(), true, nil
}

// DueAlarms implements storage.Backend with a scan of the time index.
func (s *Store) DueAlarms(ctx context.Context, before time.Time, limit int) ([]storage.Alarm, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lo := []byte{tagAlarmIndex}
	hi := append([]byte{tagAlarmIndex}, encodeMillis(before.UnixMilli()+1)...)
	var out []storage.Alarm
	var decodeErr error
	err := s.withDB(func(db *pebble.DB) error {
		return scan(ctx, db, lo, hi, false, func(k, _ []byte) bool {
			a, err := decodeAlarmIndexKey(k)
			if err != nil {
				decodeErr = err
				return false
			}
			out = append(out, a)
			return limit <= 0 || len(out) < limit
		})
	})
	if err = errors.Join(err, decodeErr); err != nil {
		return nil, wrapErr("due alarms", err)
	}
	return out, nil
}

// wrapErr wraps a non-nil err with what was being done; ErrClosed stays
// recognizable through %w.
func wrapErr(doing string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("pebble storage: %s: %w", doing, err)
}
