package builtin_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/roomshard/roomshard/cluster/roomid"
	"github.com/roomshard/roomshard/shard"
	"github.com/roomshard/roomshard/shard/builtin"
	"github.com/roomshard/roomshard/shard/shardtest"
	"github.com/roomshard/roomshard/shard/storage/memory"
)

func TestCounter(t *testing.T) {
	h := newHost(t)
	c, g := shardtest.Open(t, h, "counter", "c", "g1")
	shardtest.Connect(t, c, g, "a")
	for _, tc := range []struct{ in, want string }{
		{"get", "0"},
		{"incr", "1"},
		{"incr", "2"},
		{"get", "2"},
		{"decr", builtin.CounterErrCommand},
		{"incr 5", builtin.CounterErrCommand},
		{"incr-later x", builtin.CounterErrDelay},
		{"incr-later 0", builtin.CounterErrDelay},
	} {
		shardtest.Handle(t, c, shardtest.Message("a", tc.in))
		wantTexts(t, texts(t, g, 1), tc.want)
	}
}

// TestCounterRepliesOnlyWhenDurable holds the store's commits: the reply to
// incr must not leave the shard before the new value is committed.
func TestCounterRepliesOnlyWhenDurable(t *testing.T) {
	store := shardtest.NewStorage(memory.New())
	defer store.Close()
	h := shardtest.NewHost(t, shard.HostConfig{Storage: store}, builtin.All()...)
	c, g := shardtest.Open(t, h, "counter", "gated", "g1")
	shardtest.Connect(t, c, g, "a")

	store.Hold()
	shardtest.Handle(t, c, shardtest.Message("a", "incr"))
	shardtest.Eventually(t, func() error {
		if store.Commits() == 0 {
			return fmt.Errorf("no commit started")
		}
		return nil
	})
	g.Quiet(t) // the commit is held: no reply yet
	store.Release()
	wantTexts(t, texts(t, g, 1), "1")
}

// TestCounterIncrLater: the alarm applies the increment, also with no
// socket connected and no room active.
func TestCounterIncrLater(t *testing.T) {
	store := memory.New()
	defer store.Close()
	h := shardtest.NewHost(t, shard.HostConfig{Storage: store}, builtin.All()...)
	c, g := shardtest.Open(t, h, "counter", "later", "g1")
	shardtest.Connect(t, c, g, "a")
	shardtest.Handle(t, c, shardtest.Message("a", "incr-later 50"), shardtest.Message("a", "incr-later 50"), shardtest.Message("a", "incr-later 80"))
	wantTexts(t, texts(t, g, 3), "scheduled", "scheduled", "scheduled")
	c.Detach(nil) // the room has no socket left and retires
	id := roomid.FromName("counter", "later")
	shardtest.Eventually(t, func() error {
		v, _, err := store.Get(context.Background(), id, "value")
		if err != nil || string(v) != "3" {
			return fmt.Errorf("value = %q, %v; want 3", v, err)
		}
		if _, set, _ := store.GetAlarm(context.Background(), id); set {
			return fmt.Errorf("alarm still set")
		}
		return nil
	})
}
