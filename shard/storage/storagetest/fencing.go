package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/roomshard/roomshard/shard/storage"
)

func commitErr(t testing.TB, b storage.Backend, lease storage.Lease, fill func(*storage.Batch) error) error {
	t.Helper()
	var batch storage.Batch
	must(t, fill(&batch))
	return b.Commit(ctxFor(t), lease, &batch)
}

func (s *suite) testFencing(t *testing.T) {
	b := s.open(t)
	room := roomID(t, "room")
	write := puts(map[string]string{"k": "v"})

	wantCurrent(t, b, room, storage.Lease{}, false)
	first := acquire(t, b, room, "shard-a")
	if first.Epoch == 0 || first.Room != room || first.Holder != "shard-a" {
		t.Fatalf("AcquireLease = %+v", first)
	}
	wantCurrent(t, b, room, first, true)
	commit(t, b, first, write)

	second := acquire(t, b, room, "shard-b")
	if second.Epoch <= first.Epoch {
		t.Fatalf("second epoch %d not above first %d", second.Epoch, first.Epoch)
	}
	if err := commitErr(t, b, first, write); !errors.Is(err, storage.ErrFenced) {
		t.Fatalf("commit under the first lease = %v, want ErrFenced", err)
	}
	commit(t, b, second, write)
	wantCurrent(t, b, room, second, true)

	// Releasing a superseded lease does nothing to the current one.
	if err := b.ReleaseLease(ctxFor(t), first); err != nil {
		t.Fatalf("ReleaseLease(superseded): %v", err)
	}
	commit(t, b, second, write)
	wantCurrent(t, b, room, second, true)

	if err := b.ReleaseLease(ctxFor(t), second); err != nil {
		t.Fatalf("ReleaseLease: %v", err)
	}
	if err := commitErr(t, b, second, write); !errors.Is(err, storage.ErrFenced) {
		t.Fatalf("commit under a released lease = %v, want ErrFenced", err)
	}
	wantCurrent(t, b, room, storage.Lease{}, false)
	// Epochs keep rising after a release.
	third := acquire(t, b, room, "shard-a")
	if third.Epoch <= second.Epoch {
		t.Fatalf("epoch after release %d not above %d", third.Epoch, second.Epoch)
	}
	commit(t, b, third, write)

	// A lease is for its room only, and one never acquired is fenced.
	other := roomID(t, "other")
	forged := storage.Lease{Room: other, Holder: "shard-a", Epoch: third.Epoch}
	if err := commitErr(t, b, forged, write); !errors.Is(err, storage.ErrFenced) {
		t.Fatalf("commit under a never-acquired lease = %v, want ErrFenced", err)
	}
	otherLease := acquire(t, b, other, "shard-a")
	if otherLease.Epoch != 1 && otherLease.Epoch >= third.Epoch {
		t.Fatalf("epochs should be per room; got %d for a fresh room", otherLease.Epoch)
	}
	if err := commitErr(t, b, storage.Lease{}, write); !errors.Is(err, storage.ErrEmptyRoom) {
		t.Fatalf("commit under the zero lease = %v, want ErrEmptyRoom", err)
	}
}

func (s *suite) testFencedCommitWritesNothing(t *testing.T) {
	b := s.open(t)
	room := roomID(t, "room")
	old := acquire(t, b, room, "shard-a")
	commit(t, b, old, func(batch *storage.Batch) error {
		batch.SetAlarm(time.UnixMilli(1000))
		return puts(map[string]string{"a": "1", "b": "2"})(batch)
	})
	acquire(t, b, room, "shard-b")

	fills := map[string]func(*storage.Batch) error{
		"puts":         puts(map[string]string{"a": "stale", "c": "stale"}),
		"delete":       func(batch *storage.Batch) error { return batch.Delete("b") },
		"delete all":   func(batch *storage.Batch) error { batch.DeleteAll(); return nil },
		"set alarm":    setAlarm(time.UnixMilli(9000)),
		"delete alarm": func(batch *storage.Batch) error { batch.DeleteAlarm(); return nil },
	}
	for name, fill := range fills {
		if err := commitErr(t, b, old, fill); !errors.Is(err, storage.ErrFenced) {
			t.Fatalf("%s under a fenced lease = %v, want ErrFenced", name, err)
		}
	}
	if got := listAll(t, b, room); len(got) != 2 || got["a"] != "1" || got["b"] != "2" {
		t.Fatalf("fenced commits changed the room: %q", got)
	}
	wantAlarm(t, b, room, time.UnixMilli(1000))
	if due, _ := b.DueAlarms(ctxFor(t), time.UnixMilli(9000), 0); len(due) != 1 || !due[0].At.Equal(time.UnixMilli(1000)) {
		t.Fatalf("fenced commits changed the alarm index: %v", due)
	}
}

// wantCurrent checks what CurrentLease says of room.
func wantCurrent(t *testing.T, b storage.Backend, room string, want storage.Lease, held bool) {
	t.Helper()
	got, ok, err := b.CurrentLease(ctxFor(t), room)
	if err != nil {
		t.Fatalf("CurrentLease: %v", err)
	}
	if ok != held || got != want {
		t.Fatalf("CurrentLease = %+v, %v; want %+v, %v", got, ok, want, held)
	}
}
