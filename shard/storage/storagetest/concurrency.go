package storagetest

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/roomshard/roomshard/shard/storage"
)

// testConcurrentRooms runs many rooms at once, each an actor committing one
// read-modify-write after another, as the runtime will.
func (s *suite) testConcurrentRooms(t *testing.T) {
	b := s.open(t)
	const rooms, commits = 64, 15
	errs := make(chan error, rooms)
	var wg sync.WaitGroup
	for r := range rooms {
		wg.Go(func() { errs <- runCounterRoom(t, b, roomID(t, fmt.Sprint(r)), r, commits) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for r := range rooms {
		wantValue(t, b, roomID(t, fmt.Sprint(r)), "counter", strconv.Itoa(commits))
	}
	due, err := b.DueAlarms(ctxFor(t), time.UnixMilli(rooms), 0)
	if err != nil || len(due) != rooms {
		t.Fatalf("DueAlarms = %d alarms, %v; want %d", len(due), err, rooms)
	}
}

func runCounterRoom(t *testing.T, b storage.Backend, room string, r, commits int) error {
	lease, err := b.AcquireLease(ctxFor(t), room, "shard-a")
	if err != nil {
		return err
	}
	for range commits {
		var batch storage.Batch
		view := storage.View{Reader: b, Room: room, Batch: &batch}
		raw, _, err := view.Get(ctxFor(t), "counter")
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(string(raw))
		if err := batch.Put("counter", []byte(strconv.Itoa(n+1))); err != nil {
			return err
		}
		batch.SetAlarm(time.UnixMilli(int64(r)))
		if err := b.Commit(ctxFor(t), lease, &batch); err != nil {
			return fmt.Errorf("room %d commit: %w", r, err)
		}
	}
	return nil
}

// testConcurrentAcquire races holders for one room: every acquisition gets
// its own epoch, and only the newest lease commits.
func (s *suite) testConcurrentAcquire(t *testing.T) {
	b := s.open(t)
	room := roomID(t, "room")
	const holders = 16
	leases := make([]storage.Lease, holders)
	var wg sync.WaitGroup
	for i := range holders {
		wg.Go(func() {
			lease, err := b.AcquireLease(ctxFor(t), room, fmt.Sprint("shard-", i))
			if err != nil {
				t.Errorf("AcquireLease: %v", err)
			}
			leases[i] = lease
			// Commits race the other acquisitions; fenced ones must fail cleanly.
			err = commitErr(t, b, lease, puts(map[string]string{"k": lease.Holder}))
			if err != nil && !errors.Is(err, storage.ErrFenced) {
				t.Errorf("commit: %v", err)
			}
		})
	}
	wg.Wait()
	seen := map[uint64]bool{}
	var newest storage.Lease
	for _, lease := range leases {
		if seen[lease.Epoch] {
			t.Fatalf("epoch %d handed out twice", lease.Epoch)
		}
		seen[lease.Epoch] = true
		if lease.Epoch > newest.Epoch {
			newest = lease
		}
	}
	for _, lease := range leases {
		err := commitErr(t, b, lease, puts(map[string]string{"k": "final"}))
		if lease == newest && err != nil {
			t.Fatalf("newest lease cannot commit: %v", err)
		}
		if lease != newest && !errors.Is(err, storage.ErrFenced) {
			t.Fatalf("older lease epoch %d commit = %v, want ErrFenced", lease.Epoch, err)
		}
	}
}
