package storagetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/roomshard/roomshard/shard/storage"
)

func (s *suite) testGetPutDelete(t *testing.T) {
	b := s.open(t)
	room := roomID(t, "room")
	lease := acquire(t, b, room, "shard-a")

	wantMissing(t, b, room, "k")
	commit(t, b, lease, puts(map[string]string{"k": "v1", "empty": "", "\x00bin\xff": "\x00\xff"}))
	wantValue(t, b, room, "k", "v1")
	wantValue(t, b, room, "\x00bin\xff", "\x00\xff")
	// An empty value is a stored value, not a deletion.
	wantValue(t, b, room, "empty", "")

	commit(t, b, lease, puts(map[string]string{"k": "v2"}))
	wantValue(t, b, room, "k", "v2")

	commit(t, b, lease, func(batch *storage.Batch) error { return batch.Delete("k") })
	wantMissing(t, b, room, "k")
	// Deleting a missing key is fine.
	commit(t, b, lease, func(batch *storage.Batch) error { return batch.Delete("never") })

	// The last write to a key in one batch wins.
	commit(t, b, lease, func(batch *storage.Batch) error {
		return errors.Join(batch.Put("k", []byte("a")), batch.Delete("k"), batch.Put("k", []byte("b")))
	})
	wantValue(t, b, room, "k", "b")

	ctx := ctxFor(t)
	if _, _, err := b.Get(ctx, room, ""); !errors.Is(err, storage.ErrEmptyKey) {
		t.Fatalf("Get(empty key) = %v, want ErrEmptyKey", err)
	}
	if _, _, err := b.Get(ctx, "", "k"); !errors.Is(err, storage.ErrEmptyRoom) {
		t.Fatalf("Get(empty room) = %v, want ErrEmptyRoom", err)
	}
}

func (s *suite) testGetMany(t *testing.T) {
	b := s.open(t)
	room := roomID(t, "room")
	lease := acquire(t, b, room, "shard-a")
	commit(t, b, lease, puts(map[string]string{"a": "1", "b": "2", "c": ""}))

	got, err := b.GetMany(ctxFor(t), room, []string{"a", "c", "missing", "a"})
	if err != nil {
		t.Fatalf("GetMany: %v", err)
	}
	if len(got) != 2 || string(got["a"]) != "1" || got["c"] == nil || len(got["c"]) != 0 {
		t.Fatalf("GetMany = %q, want a=1 and c=(empty)", got)
	}
	if got, err := b.GetMany(ctxFor(t), room, nil); err != nil || len(got) != 0 {
		t.Fatalf("GetMany(nil) = %v, %v; want empty", got, err)
	}
	if _, err := b.GetMany(ctxFor(t), room, []string{"a", ""}); !errors.Is(err, storage.ErrEmptyKey) {
		t.Fatalf("GetMany with an empty key = %v, want ErrEmptyKey", err)
	}
}

func (s *suite) testRoomsAreSeparate(t *testing.T) {
	b := s.open(t)
	// Rooms whose ids are prefixes of each other must not overlap.
	rooms := []string{roomID(t, "x"), roomID(t, "x")[:10], roomID(t, "x")[:11], "r"}
	for i, room := range rooms {
		lease := acquire(t, b, room, "shard-a")
		commit(t, b, lease, puts(map[string]string{"k": room, "only" + room[:1]: "x"}))
		if i == 0 {
			commit(t, b, lease, func(batch *storage.Batch) error { batch.SetAlarm(time.UnixMilli(1000)); return nil })
		}
	}
	for _, room := range rooms {
		wantValue(t, b, room, "k", room)
		if got := listAll(t, b, room); len(got) != 2 {
			t.Fatalf("room %s lists %q, want its own two keys", room, got)
		}
	}
	if _, found, _ := b.GetAlarm(ctxFor(t), rooms[1]); found {
		t.Fatal("alarm of one room visible in another")
	}
}

func (s *suite) testLimits(t *testing.T) {
	b := s.open(t)
	room := roomID(t, "room")
	lease := acquire(t, b, room, "shard-a")
	maxKey := string(make([]byte, storage.MaxKeySize))
	maxValue := make([]byte, storage.MaxValueSize)
	maxValue[len(maxValue)-1] = 7

	var batch storage.Batch
	cases := []struct {
		name    string
		err     error
		want    error
		message string
	}{
		{"key at limit", batch.Put(maxKey, []byte("v")), nil, ""},
		{"value at limit", batch.Put("big", maxValue), nil, ""},
		{"key over limit", batch.Put(maxKey+"x", nil), storage.ErrKeyTooLarge, "2048"},
		{"value over limit", batch.Put("k", make([]byte, storage.MaxValueSize+1)), storage.ErrValueTooLarge, "131072"},
		{"empty key", batch.Put("", []byte("v")), storage.ErrEmptyKey, "empty"},
		{"delete key over limit", batch.Delete(maxKey + "x"), storage.ErrKeyTooLarge, "2048"},
		{"delete empty key", batch.Delete(""), storage.ErrEmptyKey, "empty"},
	}
	for _, tc := range cases {
		if !errors.Is(tc.err, tc.want) || (tc.want == nil) != (tc.err == nil) {
			t.Errorf("%s: err = %v, want %v", tc.name, tc.err, tc.want)
		}
		if tc.err != nil && !containsFold(tc.err.Error(), tc.message) {
			t.Errorf("%s: message %q does not name %q", tc.name, tc.err, tc.message)
		}
	}
	if err := b.Commit(ctxFor(t), lease, &batch); err != nil {
		t.Fatalf("committing values at the limits: %v", err)
	}
	got, found := mustGet(t, b, room, "big")
	if !found || len(got) != storage.MaxValueSize || got[len(got)-1] != 7 {
		t.Fatalf("max-size value did not round-trip (found %v, %d bytes)", found, len(got))
	}
	wantValue(t, b, room, maxKey, "v")
	if _, _, err := b.Get(ctxFor(t), room, maxKey+"x"); !errors.Is(err, storage.ErrKeyTooLarge) {
		t.Fatalf("Get(oversized key) = %v, want ErrKeyTooLarge", err)
	}
}

func (s *suite) testClosed(t *testing.T) {
	b := s.open(t)
	room := roomID(t, "room")
	lease := acquire(t, b, room, "shard-a")
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := ctxFor(t)
	checks := map[string]error{
		"Commit":   b.Commit(ctx, lease, &storage.Batch{}),
		"Get":      errOf3(b.Get(ctx, room, "k")),
		"List":     errOf2(b.List(ctx, room, storage.ListOptions{})),
		"Acquire":  errOf2(b.AcquireLease(ctx, room, "x")),
		"Due":      errOf2(b.DueAlarms(ctx, time.Now(), 0)),
		"GetAlarm": errOf3(b.GetAlarm(ctx, room)),
	}
	for name, err := range checks {
		if !errors.Is(err, storage.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}

func (s *suite) testCanceledCommitWritesNothing(t *testing.T) {
	b := s.open(t)
	room := roomID(t, "room")
	lease := acquire(t, b, room, "shard-a")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var batch storage.Batch
	if err := batch.Put("k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(ctx, lease, &batch); !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit with a canceled context = %v, want context.Canceled", err)
	}
	wantMissing(t, b, room, "k")
}

// errOf3 and errOf2 keep only the error of a call's results.
func errOf3[A, B any](_ A, _ B, err error) error { return err }

func errOf2[A any](_ A, err error) error { return err }

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
