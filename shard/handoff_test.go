package shard_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/ring"
	"github.com/roomshard/roomshard/cluster/roomid"
	"github.com/roomshard/roomshard/shard"
	"github.com/roomshard/roomshard/shard/builtin"
	st "github.com/roomshard/roomshard/shard/shardtest"
	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/memory"
)

// handOff is two shards over one store: s1 owns a counter room, and s2
// joins and is given it by its own ring before s1 has seen that ring.
type handOff struct {
	store    storage.Backend
	room     string // the counter room's name
	id       string
	two      *ring.Ring
	oldRing  atomic.Pointer[ring.Ring] // s1's view
	old, new *shard.Host
}

func newHandOff(t *testing.T, wait time.Duration) *handOff {
	t.Helper()
	one := ring.New([]ring.Node{{Name: "s1", Addr: "a:1"}}, 0)
	two := ring.New([]ring.Node{{Name: "s1", Addr: "a:1"}, {Name: "s2", Addr: "b:2"}}, 0)
	f := &handOff{store: memory.New(), two: two}
	for i := 0; f.room == ""; i++ {
		name := fmt.Sprintf("r%d", i)
		if owner, _ := two.Owner(roomid.FromName("counter", name)); owner.Name == "s2" {
			f.room, f.id = name, roomid.FromName("counter", name)
		}
	}
	f.oldRing.Store(one)
	f.old = st.NewHost(t, shard.HostConfig{Storage: f.store, HandOffWait: wait, Ring: func() *ring.Ring { return f.oldRing.Load() }}, builtin.All()...)
	ns, err := shard.Bind(builtin.All(), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.new, err = shard.NewHost(shard.HostConfig{Node: "s2", Namespaces: ns, Storage: f.store, HandOffWait: wait, Ring: func() *ring.Ring { return two }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := f.new.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return f
}

// openNew opens the room on s2 with one socket and sends it incr.
func (f *handOff) openNew(t *testing.T) *st.Gateway {
	t.Helper()
	g := st.NewGateway("g2")
	c, rd, err := f.new.Open(context.Background(), &roomshardv1.OpenRoom{
		Room: &roomshardv1.RoomRef{Namespace: "counter", Name: f.room}, Gateway: "g2",
	}, g)
	if err != nil || rd != nil {
		t.Fatalf("Open on s2: redirect %v, err %v", rd, err)
	}
	if first := g.WaitFrames(t, 1)[0]; first.GetOpened().GetShard() != "s2" {
		t.Fatalf("first frame on s2 = %v, want RoomOpened", first)
	}
	st.Connect(t, c, g, "b")
	st.Handle(t, c, st.Message("b", "incr"))
	return g
}

// lastDeliver is the text of the last Deliver among frames, or "".
func lastDeliver(frames []*roomshardv1.ShardFrame) string {
	out := ""
	for _, f := range frames {
		if d := f.GetDeliver(); d != nil {
			out = string(d.GetData())
		}
	}
	return out
}

// TestMoveWaitsForPreviousOwnersHandOff: the new owner runs nothing of the
// room while its previous owner, still on the ring, has it; once that owner
// sees the new ring it stops the room, releases the lease, and the new
// owner carries on from its last commit with no fencing needed.
func TestMoveWaitsForPreviousOwnersHandOff(t *testing.T) {
	f := newHandOff(t, time.Minute)
	c, gOld := st.Open(t, f.old, "counter", f.room, "g1")
	st.Connect(t, c, gOld, "a")
	st.Handle(t, c, st.Message("a", "incr"))
	if got := lastDeliver(gOld.WaitFrames(t, 1)); got != "1" {
		t.Fatalf("incr on s1 replied %q, want 1", got)
	}

	gNew := f.openNew(t)
	// s2's incr waits on s1's lease: s1 keeps serving the room meanwhile.
	st.Handle(t, c, st.Message("a", "incr"))
	if got := lastDeliver(gOld.WaitFrames(t, 1)); got != "2" {
		t.Fatalf("second incr on s1 replied %q, want 2", got)
	}
	gNew.Quiet(t)
	if got := leaseEpochs(f.old, f.id); got != 1 {
		t.Errorf("s1 lists the room under lease epoch %d, want 1", got)
	}
	if got := leaseEpochs(f.new, f.id); got != 0 {
		t.Errorf("s2 lists the room under lease epoch %d while waiting, want 0", got)
	}

	f.oldRing.Store(f.two)
	if n := f.old.Rebalance(); n != 1 {
		t.Fatalf("s1 Rebalance stopped %d rooms, want 1", n)
	}
	if got := lastDeliver(gNew.WaitFrames(t, 1)); got != "3" {
		t.Fatalf("incr on s2 after the hand-off replied %q, want 3", got)
	}
	cur, held, err := f.store.CurrentLease(context.Background(), f.id)
	if err != nil || !held || cur.Holder != "s2" || cur.Epoch != 2 {
		t.Fatalf("lease after the hand-off = %+v, %v, %v; want epoch 2 held by s2", cur, held, err)
	}
	if got := leaseEpochs(f.new, f.id); got != 2 {
		t.Errorf("s2 lists the room under lease epoch %d, want 2", got)
	}
}

// leaseEpochs is the lease epoch h lists room id under, 0 if none or absent.
func leaseEpochs(h *shard.Host, id string) uint64 {
	for _, r := range h.Rooms(context.Background()) {
		if r.GetId() == id {
			return r.GetLeaseEpoch()
		}
	}
	return 0
}

// TestHandOffWaitIsBounded: a previous owner that never sees the new ring
// holds the room up for HandOffWait only; then its lease is taken, and its
// next commit is fenced, so it hands the room over (RoomMoving) without
// replying.
func TestHandOffWaitIsBounded(t *testing.T) {
	const wait = 300 * time.Millisecond
	f := newHandOff(t, wait)
	c, gOld := st.Open(t, f.old, "counter", f.room, "g1")
	st.Connect(t, c, gOld, "a")
	st.Handle(t, c, st.Message("a", "incr"))
	if got := lastDeliver(gOld.WaitFrames(t, 1)); got != "1" {
		t.Fatalf("incr on s1 replied %q, want 1", got)
	}
	start := time.Now()
	gNew := f.openNew(t)
	if got := lastDeliver(gNew.WaitFrames(t, 1)); got != "2" {
		t.Fatalf("incr on s2 replied %q, want 2", got)
	}
	if waited := time.Since(start); waited < wait {
		t.Errorf("s2 took the lease after %v, before HandOffWait %v", waited, wait)
	}
	st.Handle(t, c, st.Message("a", "incr"))
	st.Eventually(t, func() error {
		if closed, _ := gOld.Closed(); !closed {
			return fmt.Errorf("s1's stream still open")
		}
		return nil
	})
	for _, fr := range gOld.Take() {
		if fr.GetDeliver() != nil {
			t.Errorf("s1 replied %q after losing its lease", fr.GetDeliver().GetData())
		}
	}
}

// TestHandOffSkipsHolderOffTheRing: a holder the ring no longer has (dead or
// drained) is not waited for.
func TestHandOffSkipsHolderOffTheRing(t *testing.T) {
	f := newHandOff(t, time.Minute)
	if _, err := f.store.AcquireLease(context.Background(), f.id, "s9"); err != nil {
		t.Fatal(err)
	}
	gNew := f.openNew(t)
	if got := lastDeliver(gNew.WaitFrames(t, 1)); got != "1" {
		t.Fatalf("incr on s2 replied %q, want 1", got)
	}
}
