package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/roomshard/roomshard/shard/storage"
)

func (s *suite) testDurability(t *testing.T) {
	if s.newPlace == nil {
		t.Skip("backend is not durable (no WithReopen)")
	}
	open := s.newPlace(t)
	room := roomID(t, "room")

	b := open(t)
	lease := acquire(t, b, room, "shard-a")
	commit(t, b, lease, func(batch *storage.Batch) error {
		batch.SetAlarm(time.UnixMilli(4242))
		return puts(map[string]string{"a": "1", "b": "2"})(batch)
	})
	commit(t, b, lease, func(batch *storage.Batch) error { return batch.Delete("b") })
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	b = open(t)
	if got := listAll(t, b, room); len(got) != 1 || got["a"] != "1" {
		t.Fatalf("after reopen the room holds %q, want a=1", got)
	}
	wantAlarm(t, b, room, time.UnixMilli(4242))
	if due, err := b.DueAlarms(ctxFor(t), time.UnixMilli(5000), 0); err != nil || len(due) != 1 || due[0].Room != room {
		t.Fatalf("DueAlarms after reopen = %v, %v", due, err)
	}
	// Epochs are durable: a new lease is above the old one and fences it.
	next := acquire(t, b, room, "shard-b")
	if next.Epoch <= lease.Epoch {
		t.Fatalf("epoch after reopen %d not above %d", next.Epoch, lease.Epoch)
	}
	if err := commitErr(t, b, lease, puts(map[string]string{"a": "stale"})); !errors.Is(err, storage.ErrFenced) {
		t.Fatalf("old lease after reopen = %v, want ErrFenced", err)
	}
	commit(t, b, next, puts(map[string]string{"c": "3"}))
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	b = open(t)
	wantValue(t, b, room, "c", "3")
	wantValue(t, b, room, "a", "1")
}
