package shard

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/roomshard/roomshard/shard/storage"
)

// KV is one stored entry, as List returns it.
type KV = storage.KV

// ListOptions selects the entries List returns (Durable Objects'
// storage.list options); see storage.ListOptions.
type ListOptions = storage.ListOptions

// Storage is a room's durable key-value storage and alarm (SPEC §6;
// Durable Objects' DurableObjectStorage). Get it with State.Storage.
//
// Every call belongs to the running event. Writes are buffered in the
// event and commit atomically when its handler returns; reads see the
// event's own writes. What the handler sent reaches clients only once the
// commit is durable (the output gate). A handler that returns an error or
// panics still commits what it wrote, as in Durable Objects; wrap writes in
// Transaction to make them all-or-nothing. If the commit fails, the event's
// messages are dropped and the room object is rebuilt for the next event.
//
// Keys are 1 to storage.MaxKeySize bytes (any bytes; they order
// bytewise), except that keys starting with 0xff 0xff are reserved
// (ErrReservedKey). Values are at most storage.MaxValueSize bytes. Oversized
// keys and values fail the call with storage.ErrKeyTooLarge or
// storage.ErrValueTooLarge. Values returned are the caller's to keep;
// values passed in are copied.
//
// Like State, call its methods only from the room's constructor and
// handlers; elsewhere they return ErrOutsideEvent.
type Storage struct {
	r *room
}

// Storage returns the room's storage.
func (s *State) Storage() *Storage { return &s.r.storage }

// view checks the call may touch storage and returns the event's view:
// its buffered writes over the backend.
func (s *Storage) view(ctx context.Context) (storage.View, error) {
	r := s.r
	if r.cur == nil {
		return storage.View{}, ErrOutsideEvent
	}
	if err := r.storageReady(ctx); err != nil {
		return storage.View{}, err
	}
	return storage.View{Reader: r.h.cfg.Storage, Room: r.id, Batch: &r.store.batch}, nil
}

func checkKey(key string) error {
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	return checkUserKey(key)
}

// Get returns key's value and whether it exists.
func (s *Storage) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := checkKey(key); err != nil {
		return nil, false, err
	}
	v, err := s.view(ctx)
	if err != nil {
		return nil, false, err
	}
	return v.Get(ctx, key)
}

// GetMany returns the values of the keys that exist; missing keys are
// absent from the map.
func (s *Storage) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	for _, key := range keys {
		if err := checkKey(key); err != nil {
			return nil, err
		}
	}
	v, err := s.view(ctx)
	if err != nil {
		return nil, err
	}
	return v.GetMany(ctx, keys)
}

// Put sets key to value.
func (s *Storage) Put(ctx context.Context, key string, value []byte) error {
	return s.PutMany(ctx, map[string][]byte{key: value})
}

// PutMany sets every key of entries to its value. If any key or value is
// invalid, nothing is written.
func (s *Storage) PutMany(ctx context.Context, entries map[string][]byte) error {
	for key, value := range entries {
		if err := checkKey(key); err != nil {
			return err
		}
		if err := storage.CheckValue(value); err != nil {
			return err
		}
	}
	if _, err := s.view(ctx); err != nil {
		return err
	}
	for _, key := range slices.Sorted(maps.Keys(entries)) {
		if err := s.r.store.batch.Put(key, entries[key]); err != nil {
			return err // checked above: cannot happen
		}
	}
	return nil
}

// Delete removes key and reports whether it existed.
func (s *Storage) Delete(ctx context.Context, key string) (bool, error) {
	n, err := s.DeleteMany(ctx, []string{key})
	return n == 1, err
}

// DeleteMany removes keys and returns how many of them existed.
func (s *Storage) DeleteMany(ctx context.Context, keys []string) (int, error) {
	existing, err := s.GetMany(ctx, keys)
	if err != nil {
		return 0, err
	}
	for _, key := range keys {
		if err := s.r.store.batch.Delete(key); err != nil {
			return 0, err // checked by GetMany: cannot happen
		}
	}
	return len(existing), nil
}

// List returns the entries opts selects, in key byte order (descending
// with Reverse).
func (s *Storage) List(ctx context.Context, opts ListOptions) ([]KV, error) {
	if _, err := opts.Range(); err != nil {
		return nil, err
	}
	v, err := s.view(ctx)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(opts.Prefix, reservedPrefix) {
		return nil, nil
	}
	if opts.End == "" || opts.End > reservedPrefix {
		opts.End = reservedPrefix // hides the runtime's record (meta.go)
	}
	return v.List(ctx, opts)
}

// DeleteAll removes every key of the room. It leaves the alarm (as in
// Durable Objects; use DeleteAlarm).
func (s *Storage) DeleteAll(ctx context.Context) error {
	if _, err := s.view(ctx); err != nil {
		return err
	}
	s.r.store.batch.DeleteAll()
	return nil
}

// Transaction runs fn as an explicit transaction (Durable Objects'
// transaction()): if fn returns an error or panics, every write fn made,
// alarm changes included, is undone and Transaction returns fn's error (a
// panic goes on up). Otherwise fn's writes stay in the event and commit
// with it, atomically. tx is this Storage; transactions nest.
func (s *Storage) Transaction(ctx context.Context, fn func(ctx context.Context, tx *Storage) error) error {
	if _, err := s.view(ctx); err != nil {
		return err
	}
	d := &s.r.store
	saved, touched := d.batch.Clone(), d.alarmTouched
	done := false
	defer func() {
		if !done {
			d.batch, d.alarmTouched = *saved, touched
		}
	}()
	if err := fn(ctx, s); err != nil {
		return err
	}
	done = true
	return nil
}

// GetAlarm returns the time the room's alarm is set for, and whether one is.
func (s *Storage) GetAlarm(ctx context.Context) (time.Time, bool, error) {
	v, err := s.view(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	return v.GetAlarm(ctx)
}

// SetAlarm sets the room's one alarm to at (millisecond precision),
// replacing any other; a time in the past fires as soon as the event
// commits. The room's Alarm handler runs then, on whichever shard owns the
// room, even if no socket is connected.
func (s *Storage) SetAlarm(ctx context.Context, at time.Time) error {
	if _, err := s.view(ctx); err != nil {
		return err
	}
	s.r.store.batch.SetAlarm(at)
	s.r.store.alarmTouched = true
	return nil
}

// DeleteAlarm removes the room's alarm, if any.
func (s *Storage) DeleteAlarm(ctx context.Context) error {
	if _, err := s.view(ctx); err != nil {
		return err
	}
	s.r.store.batch.DeleteAlarm()
	s.r.store.alarmTouched = true
	return nil
}
