package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/roomshard/roomshard/cluster/roomid"
	"github.com/roomshard/roomshard/shard/server"
	"github.com/roomshard/roomshard/shard/storage/pebble"
)

// TestSharedPebbleAlarmMovesWithTheRoom: two shards of one process share a
// pebble directory (as roomctl dev's do). A counter room on s1 schedules
// an increment; s1 shuts down before it is due; s2, now the owner, runs
// the alarm with no gateway attached to the room.
func TestSharedPebbleAlarmMovesWithTheRoom(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pebble")
	withStore := func(name string) server.Config {
		cfg := loopbackConfig(name)
		cfg.Storage = "pebble:" + dir
		return cfg
	}
	s1 := startShard(t, withStore("s1"))
	cfg2 := withStore("s2")
	cfg2.Join = []string{s1.GossipAddr()}
	s2 := startShard(t, cfg2)
	eventually(t, func() error {
		for _, s := range []*server.Server{s1, s2} {
			if n := len(s.Membership().Ring().Nodes()); n != 2 {
				return fmt.Errorf("%s's ring has %d shards", s.Name(), n)
			}
		}
		return nil
	})
	name := ""
	for i := 0; name == ""; i++ {
		id := roomid.FromName("counter", fmt.Sprint("later-", i))
		if owner, _ := s1.Membership().Ring().Owner(id); owner.Name == "s1" {
			name = fmt.Sprint("later-", i)
		}
	}

	g := open(t, dial(t, s1.GRPCAddr()), "counter", name, "g1")
	g.connect(t, "a")
	g.send(t, msg("a", "incr-later 300"))
	wantDeliver(t, g.next(t), []string{"a"}, false, nil, "scheduled")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s1.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	store, err := pebble.Open(ctx, pebble.Config{Path: dir}) // another handle on s2's store
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	id := roomid.FromName("counter", name)
	eventually(t, func() error {
		v, _, err := store.Get(ctx, id, "value")
		if err != nil || string(v) != "1" {
			return fmt.Errorf("value = %q, %v; want 1 once s2 ran the alarm", v, err)
		}
		return nil
	})
	eventually(t, func() error { // activated for its alarm only, the room retires
		if n := s2.Host().RoomCount(); n != 0 {
			return fmt.Errorf("s2 holds %d rooms", n)
		}
		return nil
	})
}
