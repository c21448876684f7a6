package storagetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roomshard/roomshard/shard/storage"
)

func (s *suite) testDeleteAll(t *testing.T) {
	b := s.open(t)
	room, other := roomID(t, "room"), roomID(t, "other")
	lease, otherLease := acquire(t, b, room, "shard-a"), acquire(t, b, other, "shard-a")
	commit(t, b, lease, func(batch *storage.Batch) error {
		batch.SetAlarm(time.UnixMilli(1234))
		return puts(map[string]string{"a": "1", "b": "2", "c": "3"})(batch)
	})
	commit(t, b, otherLease, puts(map[string]string{"a": "other"}))

	// Writes before DeleteAll in the same batch are gone too; writes after it
	// stay.
	commit(t, b, lease, func(batch *storage.Batch) error {
		must(t, batch.Put("before", []byte("x")))
		batch.DeleteAll()
		return batch.Put("b", []byte("new"))
	})
	if got := listAll(t, b, room); fmt.Sprint(got) != "map[b:new]" {
		t.Fatalf("after DeleteAll+Put the room holds %q, want only b=new", got)
	}
	// The alarm is not part of DeleteAll.
	if at, found, err := b.GetAlarm(ctxFor(t), room); err != nil || !found || at.UnixMilli() != 1234 {
		t.Fatalf("GetAlarm after DeleteAll = %v, %v, %v; want the alarm kept", at, found, err)
	}
	wantValue(t, b, other, "a", "other")

	commit(t, b, lease, func(batch *storage.Batch) error { batch.DeleteAll(); return nil })
	if got := listAll(t, b, room); len(got) != 0 {
		t.Fatalf("after DeleteAll the room holds %q", got)
	}
}

// testCommitIsAtomic has a writer commit batches that set all keys to the
// same generation while readers check that a List or GetMany never sees two
// generations or a partial set.
func (s *suite) testCommitIsAtomic(t *testing.T) {
	b := s.open(t)
	room := roomID(t, "room")
	lease := acquire(t, b, room, "shard-a")
	const keys, generations = 20, 40
	keyName := func(i int) string { return fmt.Sprintf("k%02d", i) }

	var done atomic.Bool
	var wg sync.WaitGroup
	var torn atomic.Value
	for range 2 {
		wg.Go(func() {
			for !done.Load() {
				kvs, err := b.List(ctxFor(t), room, storage.ListOptions{})
				if err != nil {
					torn.Store(err.Error())
					return
				}
				if msg := checkOneGeneration(kvs, keys); msg != "" {
					torn.Store(msg)
					return
				}
			}
		})
	}
	for gen := range generations {
		commit(t, b, lease, func(batch *storage.Batch) error {
			for i := range keys {
				if err := batch.Put(keyName(i), []byte(fmt.Sprint(gen))); err != nil {
					return err
				}
			}
			return nil
		})
	}
	done.Store(true)
	wg.Wait()
	if msg := torn.Load(); msg != nil {
		t.Fatalf("a reader saw a partial commit: %s", msg)
	}
	if got := listAll(t, b, room); len(got) != keys || got[keyName(0)] != fmt.Sprint(generations-1) {
		t.Fatalf("final state %q", got)
	}
}

func checkOneGeneration(kvs []storage.KV, keys int) string {
	if len(kvs) != 0 && len(kvs) != keys {
		return fmt.Sprintf("%d of %d keys", len(kvs), keys)
	}
	for _, kv := range kvs {
		if string(kv.Value) != string(kvs[0].Value) {
			return fmt.Sprintf("generations %s and %s together", kvs[0].Value, kv.Value)
		}
	}
	return ""
}
