package storagetest

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/roomshard/roomshard/shard/storage"
)

func (s *suite) testViewReadsOwnWrites(t *testing.T) {
	b := s.open(t)
	room := roomID(t, "room")
	lease := acquire(t, b, room, "shard-a")
	commit(t, b, lease, func(batch *storage.Batch) error {
		batch.SetAlarm(time.UnixMilli(5000))
		return puts(map[string]string{"kept": "1", "replaced": "old", "deleted": "x"})(batch)
	})

	var batch storage.Batch
	view := storage.View{Reader: b, Room: room, Batch: &batch}
	ctx := ctxFor(t)
	must(t, batch.Put("replaced", []byte("new")), batch.Put("added", []byte("2")), batch.Delete("deleted"))

	checks := map[string]string{"kept": "1", "replaced": "new", "added": "2"}
	for key, want := range checks {
		got, found, err := view.Get(ctx, key)
		if err != nil || !found || string(got) != want {
			t.Fatalf("View.Get(%q) = %q, %v, %v; want %q", key, got, found, err, want)
		}
	}
	if _, found, _ := view.Get(ctx, "deleted"); found {
		t.Fatal("View.Get sees a key the batch deleted")
	}
	many, err := view.GetMany(ctx, []string{"kept", "replaced", "added", "deleted", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(many) != 3 || string(many["kept"]) != "1" || string(many["replaced"]) != "new" || string(many["added"]) != "2" {
		t.Fatalf("View.GetMany = %q", many)
	}
	// The batch decides the alarm once it changes it.
	if at, found, _ := view.GetAlarm(ctx); !found || at.UnixMilli() != 5000 {
		t.Fatalf("View.GetAlarm = %v, %v; want the stored alarm", at, found)
	}
	batch.DeleteAlarm()
	if _, found, _ := view.GetAlarm(ctx); found {
		t.Fatal("View.GetAlarm sees an alarm the batch deleted")
	}
	batch.DeleteAll()
	must(t, batch.Put("after", []byte("3")))
	if got, err := view.List(ctx, storage.ListOptions{}); err != nil || formatKVs(got) != `["after"="3"]` {
		t.Fatalf("View.List after DeleteAll = %s, %v", formatKVs(got), err)
	}
	if _, found, _ := view.Get(ctx, "kept"); found {
		t.Fatal("View.Get sees a key DeleteAll removed")
	}
	// Nothing reached the backend.
	wantValue(t, b, room, "replaced", "old")
}

// testViewListOverlay checks View.List over every ListOptions combination
// against the model of the merged state, for batches that put, replace and
// delete keys inside and outside every range, and for a DeleteAll batch.
func (s *suite) testViewListOverlay(t *testing.T) {
	b := s.open(t)
	room, _, stored := fillListRoom(t, b)

	batches := map[string]func(*storage.Batch){
		"mixed": func(batch *storage.Batch) {
			for _, k := range []string{"a", "abc", "b", "x\xff\xff", "é"} {
				must(t, batch.Delete(k))
			}
			for _, k := range []string{"aa", "abca", "ab\x00", "bb", "x\xff\xff\xff", "0", "ï"} {
				must(t, batch.Put(k, []byte("batch "+k)))
			}
		},
		"deletes only": func(batch *storage.Batch) {
			for _, k := range []string{"\x00k", "a", "aa", "ab", "abc"} {
				must(t, batch.Delete(k))
			}
		},
		"delete all": func(batch *storage.Batch) {
			batch.DeleteAll()
			for _, k := range []string{"ab", "abz", "c", "x\xff"} {
				must(t, batch.Put(k, []byte("batch "+k)))
			}
		},
	}
	for name, fill := range batches {
		var batch storage.Batch
		fill(&batch)
		merged := mergeModel(stored, &batch)
		view := storage.View{Reader: b, Room: room, Batch: &batch}
		for _, opts := range listGrid() {
			got, err := view.List(ctxFor(t), opts)
			if err != nil {
				t.Fatalf("%s: View.List(%+v): %v", name, opts, err)
			}
			if want := merged.list(opts); !sameKVs(got, want) {
				t.Fatalf("%s: View.List(%+v)\n got %s\nwant %s", name, opts, formatKVs(got), formatKVs(want))
			}
		}
	}
}

// mergeModel returns stored as it reads once batch commits.
func mergeModel(stored model, batch *storage.Batch) model {
	m := batch.Mutation()
	out := maps.Clone(stored)
	if m.DeleteAll {
		out = model{}
	}
	for _, k := range m.Deletes {
		delete(out, k)
	}
	for _, kv := range m.Puts {
		out[kv.Key] = kv.Value
	}
	return out
}

func must(t testing.TB, errs ...error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Fatal(fmt.Errorf("step %d: %w", i, err))
		}
	}
}
