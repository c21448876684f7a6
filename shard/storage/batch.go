package storage

import (
	"maps"
	"slices"
	"time"
)

// Batch is the write set of one room event handler: puts and deletes of
// keys, an optional DeleteAll that precedes them, and at most one alarm
// change. Later calls override earlier ones on the same key. The zero value
// is an empty batch. A Batch is not safe for concurrent use.
type Batch struct {
	deleteAll bool
	// writes maps each written key to its new value; deleted keys map to
	// the deleted marker.
	writes map[string]write
	alarm  AlarmChange
}

type write struct {
	value   []byte
	deleted bool
}

// AlarmOp is what a batch does to the room's alarm.
type AlarmOp uint8

const (
	// AlarmKeep leaves the alarm as it is.
	AlarmKeep AlarmOp = iota
	// AlarmSet sets (or moves) the alarm.
	AlarmSet
	// AlarmDelete removes the alarm.
	AlarmDelete
)

// AlarmChange is a batch's alarm operation; At is set for AlarmSet only.
type AlarmChange struct {
	Op AlarmOp
	At time.Time
}

// Put sets key to a copy of value.
func (b *Batch) Put(key string, value []byte) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := CheckValue(value); err != nil {
		return err
	}
	b.set(key, write{value: slices.Clone(value)})
	return nil
}

// Delete removes key.
func (b *Batch) Delete(key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	b.set(key, write{deleted: true})
	return nil
}

// DeleteAll removes every key of the room, including the ones written to
// this batch so far; later Puts still apply. It does not touch the alarm
// (Durable Objects' deleteAll leaves the alarm too; use DeleteAlarm).
func (b *Batch) DeleteAll() {
	b.deleteAll = true
	clear(b.writes)
}

// SetAlarm sets the room's alarm to at. Alarms have millisecond precision:
// at is truncated to the millisecond.
func (b *Batch) SetAlarm(at time.Time) {
	b.alarm = AlarmChange{Op: AlarmSet, At: TruncateAlarm(at)}
}

// DeleteAlarm removes the room's alarm.
func (b *Batch) DeleteAlarm() {
	b.alarm = AlarmChange{Op: AlarmDelete}
}

// Empty reports whether committing b would change nothing.
func (b *Batch) Empty() bool {
	return !b.deleteAll && len(b.writes) == 0 && b.alarm.Op == AlarmKeep
}

// Reset empties b for reuse.
func (b *Batch) Reset() {
	b.deleteAll = false
	clear(b.writes)
	b.alarm = AlarmChange{}
}

// Clone returns an independent copy of b, e.g. to roll back a transaction
// by going back to the copy.
func (b *Batch) Clone() *Batch {
	return &Batch{deleteAll: b.deleteAll, writes: maps.Clone(b.writes), alarm: b.alarm}
}

// Alarm returns b's alarm change.
func (b *Batch) Alarm() AlarmChange { return b.alarm }

// Lookup reports what key reads as once b commits, as far as b alone
// decides: decided is false when the backend's value shows through.
func (b *Batch) Lookup(key string) (value []byte, found, decided bool) {
	if w, ok := b.writes[key]; ok {
		return w.value, !w.deleted, true
	}
	if b.deleteAll {
		return nil, false, true
	}
	return nil, false, false
}

func (b *Batch) set(key string, w write) {
	if b.writes == nil {
		b.writes = make(map[string]write)
	}
	b.writes[key] = w
}

// Mutation is a Batch frozen into the form backends apply.
type Mutation struct {
	// DeleteAll removes every key of the room before Puts apply.
	DeleteAll bool
	// Puts are the keys to set, sorted by key.
	Puts []KV
	// Deletes are the keys to remove, sorted; empty when DeleteAll.
	Deletes []string
	// Alarm is the alarm change.
	Alarm AlarmChange
}

// Mutation returns b's effect as sorted operations. The returned value
// shares b's value slices, which b never modifies.
func (b *Batch) Mutation() Mutation {
	m := Mutation{DeleteAll: b.deleteAll, Alarm: b.alarm}
	for _, key := range slices.Sorted(maps.Keys(b.writes)) {
		w := b.writes[key]
		switch {
		case !w.deleted:
			m.Puts = append(m.Puts, KV{Key: key, Value: w.value})
		case !b.deleteAll:
			m.Deletes = append(m.Deletes, key)
		}
	}
	return m
}

// TruncateAlarm returns at truncated to the millisecond alarms are stored
// with, in UTC.
func TruncateAlarm(at time.Time) time.Time {
	return time.UnixMilli(at.UnixMilli()).UTC()
}
