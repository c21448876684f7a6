package storagetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/roomshard/roomshard/shard/storage"
)

// fillListRoom stores listKeys in a fresh room and returns the room and the
// model of its contents.
func fillListRoom(t *testing.T, b storage.Backend) (string, storage.Lease, model) {
	room := roomID(t, "list")
	lease := acquire(t, b, room, "shard-a")
	m := model{}
	var batch storage.Batch
	for i, k := range listKeys() {
		v := []byte(fmt.Sprintf("v%d", i))
		m[k] = v
		if err := batch.Put(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(ctxFor(t), lease, &batch); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return room, lease, m
}

func (s *suite) testList(t *testing.T) {
	b := s.open(t)
	room, _, m := fillListRoom(t, b)

	// A few cases spelled out, so the model itself is checked too.
	named := []struct {
		name string
		opts storage.ListOptions
		want []string
	}{
		{"prefix", storage.ListOptions{Prefix: "ab"}, []string{"ab", "abc", "abd"}},
		{"prefix 0xff", storage.ListOptions{Prefix: "x\xff"}, []string{"x\xff", "x\xff\xff", "x\xff\xffz"}},
		{"start inclusive", storage.ListOptions{Start: "b", End: "c"}, []string{"b", "ba"}},
		{"startAfter exclusive", storage.ListOptions{StartAfter: "b", End: "c"}, []string{"ba"}},
		{"end exclusive", storage.ListOptions{Start: "abc", End: "b"}, []string{"abc", "abd"}},
		{"reverse limit keeps the last", storage.ListOptions{Prefix: "a", Reverse: true, Limit: 2}, []string{"abd", "abc"}},
		{"utf-8 byte order", storage.ListOptions{Start: "z"}, []string{"z", "é", "€"}},
		{"end before start", storage.ListOptions{Start: "c", End: "b"}, nil},
		{"prefix and end", storage.ListOptions{Prefix: "a", End: "ab"}, []string{"a", "aa"}},
	}
	for _, tc := range named {
		got, err := b.List(ctxFor(t), room, tc.opts)
		if err != nil {
			t.Fatalf("%s: List: %v", tc.name, err)
		}
		var keys []string
		for _, kv := range got {
			keys = append(keys, kv.Key)
		}
		if fmt.Sprintf("%q", keys) != fmt.Sprintf("%q", tc.want) {
			t.Errorf("%s: List(%+v) keys = %q, want %q", tc.name, tc.opts, keys, tc.want)
		}
	}

	for _, opts := range listGrid() {
		got, err := b.List(ctxFor(t), room, opts)
		if err != nil {
			t.Fatalf("List(%+v): %v", opts, err)
		}
		if want := m.list(opts); !sameKVs(got, want) {
			t.Fatalf("List(%+v)\n got %s\nwant %s", opts, formatKVs(got), formatKVs(want))
		}
	}

	if got, err := b.List(ctxFor(t), roomID(t, "empty room"), storage.ListOptions{}); err != nil || len(got) != 0 {
		t.Fatalf("List(empty room) = %v, %v; want nothing", got, err)
	}
}

func (s *suite) testListInvalidOptions(t *testing.T) {
	b := s.open(t)
	room := roomID(t, "room")
	for _, opts := range []storage.ListOptions{
		{Start: "a", StartAfter: "b"},
		{Limit: -1},
	} {
		if _, err := b.List(ctxFor(t), room, opts); !errors.Is(err, storage.ErrInvalidListOptions) {
			t.Errorf("List(%+v) = %v, want ErrInvalidListOptions", opts, err)
		}
	}
}
