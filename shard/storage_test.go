package shard_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomshard/roomshard/cluster/roomid"
	"github.com/roomshard/roomshard/shard"
	"github.com/roomshard/roomshard/shard/builtin"
	st "github.com/roomshard/roomshard/shard/shardtest"
	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/memory"
)

func keysOf(kvs []shard.KV) []string {
	out := make([]string, len(kvs))
	for i, kv := range kvs {
		out[i] = kv.Key
	}
	return out
}

// check fails the script with a description when cond is false.
func check(cond bool, format string, args ...any) error {
	if cond {
		return nil
	}
	return fmt.Errorf(format, args...)
}

func TestStorageReadsWritesAndLists(t *testing.T) {
	eachBackend(t, func(t *testing.T, bc backendCase) {
		store, _ := bc.open(t)
		rg := newRig(t, store, shard.HostConfig{})
		rg.ok(t, func(ctx context.Context, s *shard.State) error {
			db := s.Storage()
			if err := db.PutMany(ctx, map[string][]byte{"a/1": []byte("x"), "a/2": []byte("y"), "a/3": []byte("z"), "b": []byte("w")}); err != nil {
				return err
			}
			// Reads see the event's own writes.
			v, found, err := db.Get(ctx, "a/2")
			if err := errors.Join(err, check(found && string(v) == "y", "Get a/2 = %q %v", v, found)); err != nil {
				return err
			}
			existed, err := db.Delete(ctx, "b")
			return errors.Join(err, check(existed, "Delete b: existed = false"))
		})
		rg.ok(t, func(ctx context.Context, s *shard.State) error {
			db := s.Storage()
			got, err := db.GetMany(ctx, []string{"a/1", "a/3", "b", "nope"})
			if err := errors.Join(err, check(len(got) == 2 && string(got["a/3"]) == "z", "GetMany = %q", got)); err != nil {
				return err
			}
			if _, found, err := db.Get(ctx, "b"); err != nil || found {
				return fmt.Errorf("deleted b: found %v, %v", found, err)
			}
			n, err := db.DeleteMany(ctx, []string{"a/1", "b", "nope"})
			return errors.Join(err, check(n == 1, "DeleteMany counted %d, want 1", n))
		})
		for _, tc := range []struct {
			opts shard.ListOptions
			want []string
		}{
			{shard.ListOptions{}, []string{"a/2", "a/3", "c1", "c2", "c3"}},
			{shard.ListOptions{Prefix: "c"}, []string{"c1", "c2", "c3"}},
			{shard.ListOptions{Start: "a/3", End: "c3"}, []string{"a/3", "c1", "c2"}},
			{shard.ListOptions{StartAfter: "a/3"}, []string{"c1", "c2", "c3"}},
			{shard.ListOptions{Reverse: true, Limit: 2}, []string{"c3", "c2"}},
			{shard.ListOptions{Prefix: "c", Reverse: true, Limit: 2, End: "c3"}, []string{"c2", "c1"}},
			{shard.ListOptions{Prefix: "\xff"}, []string{}},
		} {
			rg.ok(t, func(ctx context.Context, s *shard.State) error {
				db := s.Storage()
				for _, k := range []string{"c1", "c2", "c3"} {
					if err := db.Put(ctx, k, []byte(k)); err != nil {
						return err
					}
				}
				kvs, err := db.List(ctx, tc.opts)
				return errors.Join(err, check(slices.Equal(keysOf(kvs), tc.want), "List(%+v) = %q, want %q", tc.opts, keysOf(kvs), tc.want))
			})
		}
		rg.ok(t, func(ctx context.Context, s *shard.State) error {
			db := s.Storage()
			if err := db.DeleteAll(ctx); err != nil {
				return err
			}
			if err := db.Put(ctx, "after", []byte("1")); err != nil {
				return err
			}
			kvs, err := db.List(ctx, shard.ListOptions{})
			return errors.Join(err, check(slices.Equal(keysOf(kvs), []string{"after"}), "after DeleteAll: %q", keysOf(kvs)))
		})
		rg.ok(t, func(ctx context.Context, s *shard.State) error {
			kvs, err := s.Storage().List(ctx, shard.ListOptions{})
			return errors.Join(err, check(slices.Equal(keysOf(kvs), []string{"after"}), "committed DeleteAll: %q", keysOf(kvs)))
		})
	})
}

func TestStorageLimits(t *testing.T) {
	rg := newRig(t, memory.New(), shard.HostConfig{})
	rg.ok(t, func(ctx context.Context, s *shard.State) error {
		db := s.Storage()
		for _, tc := range []struct {
			key   string
			value []byte
			want  error
		}{
			{"", nil, storage.ErrEmptyKey},
			{strings.Repeat("k", storage.MaxKeySize+1), nil, storage.ErrKeyTooLarge},
			{"big", make([]byte, storage.MaxValueSize+1), storage.ErrValueTooLarge},
			{"\xff\xffmine", nil, shard.ErrReservedKey},
			{strings.Repeat("k", storage.MaxKeySize), make([]byte, storage.MaxValueSize), nil},
		} {
			if err := db.Put(ctx, tc.key, tc.value); !errors.Is(err, tc.want) {
				return fmt.Errorf("Put(%d-byte key, %d-byte value) = %v, want %v", len(tc.key), len(tc.value), err, tc.want)
			}
		}
		if _, _, err := db.Get(ctx, "\xff\xffroomshard/meta"); !errors.Is(err, shard.ErrReservedKey) {
			return fmt.Errorf("Get of a reserved key = %v", err)
		}
		err := db.PutMany(ctx, map[string][]byte{"fine": nil, "bad": make([]byte, storage.MaxValueSize+1)})
		if !errors.Is(err, storage.ErrValueTooLarge) {
			return fmt.Errorf("PutMany = %v", err)
		}
		_, found, err := db.Get(ctx, "fine")
		return errors.Join(err, check(!found, "PutMany wrote part of a failed call"))
	})
	// The runtime's own record stays out of List.
	rg.ok(t, func(ctx context.Context, s *shard.State) error {
		kvs, err := s.Storage().List(ctx, shard.ListOptions{})
		return errors.Join(err, check(len(kvs) == 1, "List = %q", keysOf(kvs)))
	})
}

// TestHandlerErrorStillCommits: as in Durable Objects, writes made before
// a handler fails commit (the socket is closed with 1011); only an
// explicit transaction rolls back.
func TestHandlerErrorStillCommits(t *testing.T) {
	rg := newRig(t, memory.New(), shard.HostConfig{})
	rg.sc.onMessage(func(ctx context.Context, s *shard.State) error {
		if err := s.Storage().Put(ctx, "k", []byte("written")); err != nil {
			return err
		}
		return errFail
	})
	st.Handle(t, rg.c, st.Message("a", "run"))
	st.WantClose(t, rg.g.WaitFrames(t, 1)[0], "a", 1011, "room error")
	st.Connect(t, rg.c, rg.g, "b")
	rg.sc.onMessage(func(ctx context.Context, s *shard.State) error {
		v, _, err := s.Storage().Get(ctx, "k")
		return errors.Join(err, check(string(v) == "written", "k = %q", v))
	})
	st.Handle(t, rg.c, st.Message("b", "run"))
	st.WantDelivers(t, rg.g.WaitFrames(t, 1), st.Deliver{IDs: []string{"b"}, Text: "ok"})
}

func TestTransactionRollsBack(t *testing.T) {
	eachBackend(t, func(t *testing.T, bc backendCase) {
		store, _ := bc.open(t)
		rg := newRig(t, store, shard.HostConfig{})
		rollback := errors.New("roll back")
		rg.ok(t, func(ctx context.Context, s *shard.State) error {
			db := s.Storage()
			if err := db.Put(ctx, "outer", []byte("1")); err != nil {
				return err
			}
			err := db.Transaction(ctx, func(ctx context.Context, tx *shard.Storage) error {
				if err := tx.Put(ctx, "inner", []byte("1")); err != nil {
					return err
				}
				if err := tx.SetAlarm(ctx, time.Now().Add(time.Hour)); err != nil {
					return err
				}
				if _, err := tx.Delete(ctx, "outer"); err != nil {
					return err
				}
				return rollback
			})
			if !errors.Is(err, rollback) {
				return fmt.Errorf("Transaction = %v, want fn's error", err)
			}
			// A committed transaction nested around a rolled-back one.
			return db.Transaction(ctx, func(ctx context.Context, tx *shard.Storage) error {
				if err := tx.Put(ctx, "kept", []byte("1")); err != nil {
					return err
				}
				_ = tx.Transaction(ctx, func(ctx context.Context, tx *shard.Storage) error {
					_ = tx.Put(ctx, "nested", []byte("1"))
					return rollback
				})
				return nil
			})
		})
		rg.ok(t, func(ctx context.Context, s *shard.State) error {
			kvs, err := s.Storage().List(ctx, shard.ListOptions{})
			if err := errors.Join(err, check(slices.Equal(keysOf(kvs), []string{"kept", "outer"}), "keys = %q", keysOf(kvs))); err != nil {
				return err
			}
			_, set, err := s.Storage().GetAlarm(ctx)
			return errors.Join(err, check(!set, "the rolled-back alarm is set"))
		})
		// A panic in fn rolls back too, and fails the event.
		rg.sc.onMessage(func(ctx context.Context, s *shard.State) error {
			_ = s.Storage().Put(ctx, "before", []byte("1"))
			return s.Storage().Transaction(ctx, func(ctx context.Context, tx *shard.Storage) error {
				_ = tx.Put(ctx, "doomed", []byte("1"))
				panic("in a transaction")
			})
		})
		st.Handle(t, rg.c, st.Message("a", "run"))
		st.WantClose(t, rg.g.WaitFrames(t, 1)[0], "a", 1011, "room error")
		id := roomid.FromName("script", "r")
		st.Eventually(t, func() error {
			got, err := store.GetMany(context.Background(), id, []string{"before", "doomed"})
			if err != nil || len(got) != 1 || got["before"] == nil {
				return fmt.Errorf("stored %q, %v; want only before", got, err)
			}
			return nil
		})
	})
}

// TestFailedCommitDropsOutbox: nothing the handler sent reaches a client,
// the socket stays, and the room object is rebuilt from storage.
func TestFailedCommitDropsOutbox(t *testing.T) {
	store := st.NewStorage(memory.New())
	rg := newRig(t, store, shard.HostConfig{})
	rg.ok(t, func(ctx context.Context, s *shard.State) error { return s.Storage().Put(ctx, "k", []byte("old")) })
	store.FailCommits(1, errors.New("disk on fire"))
	rg.sc.onMessage(func(ctx context.Context, s *shard.State) error {
		if err := s.Broadcast(shard.Text("never seen")); err != nil {
			return err
		}
		return s.Storage().Put(ctx, "k", []byte("new"))
	})
	st.Handle(t, rg.c, st.Message("a", "run"))
	st.Eventually(t, func() error { return check(store.Commits() == 2, "commits = %d", store.Commits()) })
	rg.g.Quiet(t)
	builds := rg.sc.builds.Load()
	rg.ok(t, func(ctx context.Context, s *shard.State) error {
		v, _, err := s.Storage().Get(ctx, "k")
		return errors.Join(err, check(string(v) == "old", "k = %q after a failed commit", v))
	})
	if got := rg.sc.builds.Load(); got != builds+1 {
		t.Errorf("room object built %d times after the failure, want once more", got-builds)
	}
	if closed, _ := rg.g.Closed(); closed {
		t.Error("the stream was closed")
	}
}

// TestFencedRoomMoves: another shard took the room's lease; this shard's
// commit fails, nothing is sent and the room hands its streams back.
func TestFencedRoomMoves(t *testing.T) {
	store := memory.New()
	rg := newRig(t, store, shard.HostConfig{})
	rg.ok(t, func(ctx context.Context, s *shard.State) error { return s.Storage().Put(ctx, "k", []byte("1")) })
	if _, err := store.AcquireLease(context.Background(), roomid.FromName("script", "r"), "s2"); err != nil {
		t.Fatal(err)
	}
	rg.sc.onMessage(func(ctx context.Context, s *shard.State) error { return s.Storage().Put(ctx, "k", []byte("2")) })
	st.Handle(t, rg.c, st.Message("a", "run"))
	f := rg.g.WaitFrames(t, 1)
	if f[0].GetMoving() == nil {
		t.Fatalf("frame = %s, want RoomMoving", st.Dump(f))
	}
	st.Eventually(t, func() error {
		closed, err := rg.g.Closed()
		return check(closed && err == nil, "stream closed=%v err=%v", closed, err)
	})
}

// TestRoomsWithoutStorageCostNothing: no lease, no commit for echo.
func TestRoomsWithoutStorageCostNothing(t *testing.T) {
	store := st.NewStorage(memory.New())
	h := st.NewHost(t, shard.HostConfig{Storage: store}, builtin.All()...)
	c, g := st.Open(t, h, "echo", "x", "g1")
	st.Connect(t, c, g, "a")
	st.Handle(t, c, st.Message("a", "hi"))
	g.WaitFrames(t, 1)
	if store.Commits() != 0 || store.Leases() != 0 {
		t.Errorf("commits %d, leases %d; want none", store.Commits(), store.Leases())
	}
}
