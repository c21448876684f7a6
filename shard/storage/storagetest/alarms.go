package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/roomshard/roomshard/shard/storage"
)

func setAlarm(at time.Time) func(*storage.Batch) error {
	return func(batch *storage.Batch) error { batch.SetAlarm(at); return nil }
}

func wantAlarm(t testing.TB, b storage.Backend, room string, want time.Time) {
	t.Helper()
	at, found, err := b.GetAlarm(ctxFor(t), room)
	if err != nil {
		t.Fatalf("GetAlarm: %v", err)
	}
	if want.IsZero() {
		if found {
			t.Fatalf("GetAlarm = %v, want none", at)
		}
		return
	}
	if !found || !at.Equal(want) {
		t.Fatalf("GetAlarm = %v (found %v), want %v", at, found, want)
	}
}

func (s *suite) testAlarms(t *testing.T) {
	b := s.open(t)
	room := roomID(t, "room")
	lease := acquire(t, b, room, "shard-a")
	wantAlarm(t, b, room, time.Time{})

	// Alarms are kept to the millisecond.
	at := time.Date(2030, 1, 2, 3, 4, 5, 678_901_234, time.UTC)
	commit(t, b, lease, func(batch *storage.Batch) error {
		batch.SetAlarm(at)
		return batch.Put("k", []byte("v"))
	})
	wantAlarm(t, b, room, at.Truncate(time.Millisecond))
	wantValue(t, b, room, "k", "v")

	moved := at.Add(time.Hour)
	commit(t, b, lease, setAlarm(moved))
	wantAlarm(t, b, room, moved.Truncate(time.Millisecond))

	// A batch without an alarm change keeps the alarm.
	commit(t, b, lease, puts(map[string]string{"k": "v2"}))
	wantAlarm(t, b, room, moved.Truncate(time.Millisecond))

	commit(t, b, lease, func(batch *storage.Batch) error { batch.DeleteAlarm(); return nil })
	wantAlarm(t, b, room, time.Time{})
	// Deleting a missing alarm is fine.
	commit(t, b, lease, func(batch *storage.Batch) error { batch.DeleteAlarm(); return nil })
}

func (s *suite) testDueAlarms(t *testing.T) {
	b := s.open(t)
	base := time.UnixMilli(1_900_000_000_000).UTC()
	alarms := []struct {
		label string
		at    time.Time
	}{
		{"r3", base.Add(3 * time.Second)},
		{"r1", base.Add(1 * time.Second)},
		{"r2b", base.Add(2 * time.Second)},
		{"r2a", base.Add(2 * time.Second)},
		{"late", base.Add(time.Hour)},
		{"moved", base.Add(500 * time.Millisecond)},
		{"deleted", base.Add(time.Second)},
	}
	leases := map[string]storage.Lease{}
	for _, a := range alarms {
		room := roomID(t, a.label)
		leases[a.label] = acquire(t, b, room, "shard-a")
		commit(t, b, leases[a.label], setAlarm(a.at))
	}
	// Moving an alarm later removes it from its old time; deleting removes it.
	commit(t, b, leases["moved"], setAlarm(base.Add(2*time.Hour)))
	commit(t, b, leases["deleted"], func(batch *storage.Batch) error { batch.DeleteAlarm(); return nil })

	// Equal times order by room id.
	tied := []string{roomID(t, "r2a"), roomID(t, "r2b")}
	if tied[0] > tied[1] {
		tied[0], tied[1] = tied[1], tied[0]
	}
	want := []string{roomID(t, "r1"), tied[0], tied[1], roomID(t, "r3")}

	cases := []struct {
		name   string
		before time.Time
		limit  int
		want   []string
	}{
		{"all due", base.Add(3 * time.Second), 0, want},
		{"before is inclusive", base.Add(2 * time.Second), 0, want[:3]},
		{"one millisecond short", base.Add(2*time.Second - time.Millisecond), 0, want[:1]},
		{"limit", base.Add(time.Minute), 2, want[:2]},
		{"nothing due", base, 0, nil},
	}
	for _, tc := range cases {
		got, err := b.DueAlarms(ctxFor(t), tc.before, tc.limit)
		if err != nil {
			t.Fatalf("%s: DueAlarms: %v", tc.name, err)
		}
		var rooms []string
		for _, a := range got {
			rooms = append(rooms, a.Room)
		}
		if fmt.Sprint(rooms) != fmt.Sprint(tc.want) {
			t.Errorf("%s: DueAlarms rooms = %v, want %v", tc.name, rooms, tc.want)
		}
		if len(got) > 0 && !got[0].At.Equal(base.Add(time.Second)) {
			t.Errorf("%s: first alarm at %v, want %v", tc.name, got[0].At, base.Add(time.Second))
		}
	}
}
