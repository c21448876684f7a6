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
	"github.com/roomshard/roomshard/shard/storage/memory"
)

// TestRebalanceMovesOnlyRoomsTheRingMoved: when the ring gives some rooms
// to a new shard, exactly those get RoomMoving and leave the host; later
// opens of them are redirected.
func TestRebalanceMovesOnlyRoomsTheRingMoved(t *testing.T) {
	one := ring.New([]ring.Node{{Name: "s1", Addr: "a:1"}}, 0)
	two := ring.New([]ring.Node{{Name: "s1", Addr: "a:1"}, {Name: "s2", Addr: "b:2"}}, 0)
	var cur atomic.Pointer[ring.Ring]
	cur.Store(one)
	h := st.NewHost(t, shard.HostConfig{Ring: func() *ring.Ring { return cur.Load() }}, builtin.All()...)

	type opened struct {
		name string
		g    *st.Gateway
	}
	var rooms []opened
	moved := 0
	for i := range 20 {
		name := string(rune('a' + i))
		c, g := st.Open(t, h, "echo", name, "g1")
		st.Connect(t, c, g, "sock-"+name)
		rooms = append(rooms, opened{name, g})
		if owner, _ := two.Owner(roomid.FromName("echo", name)); owner.Name == "s2" {
			moved++
		}
	}
	if moved == 0 || moved == len(rooms) {
		t.Fatalf("fixture: %d of %d rooms move; want some", moved, len(rooms))
	}
	if n := h.Rebalance(); n != 0 {
		t.Fatalf("Rebalance on an unchanged ring stopped %d rooms", n)
	}
	cur.Store(two)
	if n := h.Rebalance(); n != moved {
		t.Fatalf("Rebalance stopped %d rooms, want %d", n, moved)
	}
	for _, r := range rooms {
		owner, _ := two.Owner(roomid.FromName("echo", r.name))
		if owner.Name != "s2" {
			continue
		}
		frames := r.g.WaitFrames(t, 1)
		if frames[len(frames)-1].GetMoving() == nil {
			t.Errorf("room %s: last frame %s, want RoomMoving", r.name, st.Dump(frames))
		}
	}
	st.Eventually(t, func() error {
		if n := h.RoomCount(); n != len(rooms)-moved {
			return fmt.Errorf("host holds %d rooms, want %d", n, len(rooms)-moved)
		}
		return nil
	})
}

// TestDrainHandsOffEverythingThenDrained: Drain gossips draining, stops
// every room (RoomMoving), refuses new opens with an owner-less redirect
// while its own ring still names it, and closes Drained once empty.
func TestDrainHandsOffEverythingThenDrained(t *testing.T) {
	var state atomic.Int32
	h := st.NewHost(t, shard.HostConfig{SetState: func(_ context.Context, s roomshardv1.MemberState) error {
		state.Store(int32(s))
		return nil
	}}, builtin.All()...)
	c, g := st.Open(t, h, "echo", "r", "g1")
	st.Connect(t, c, g, "a")
	select {
	case <-h.Drained():
		t.Fatal("drained before any drain")
	default:
	}
	n, err := h.Drain(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("Drain = %d, %v; want 1 room", n, err)
	}
	if roomshardv1.MemberState(state.Load()) != roomshardv1.MemberState_MEMBER_STATE_DRAINING {
		t.Errorf("state gossiped = %v", roomshardv1.MemberState(state.Load()))
	}
	if f := g.WaitFrames(t, 1); f[len(f)-1].GetMoving() == nil {
		t.Errorf("frames %s, want RoomMoving", st.Dump(f))
	}
	select {
	case <-h.Drained():
	case <-time.After(5 * time.Second):
		t.Fatal("Drained not closed after the last room left")
	}
	_, rd, err := h.Open(context.Background(), &roomshardv1.OpenRoom{Gateway: "g1", Room: &roomshardv1.RoomRef{Namespace: "echo", Name: "r"}}, st.NewGateway("g1"))
	if err != nil || rd == nil || rd.GetOwnerGrpcAddr() != "" {
		t.Errorf("Open while draining = %v, %v; want a redirect naming no owner", rd, err)
	}
}

// TestFencedReadKeepsSocket: after its commit was fenced, a counter room's
// next event fails reading storage; the socket is not closed with 1011 (to
// its client the event is lost like one sent to a dead shard) and the room
// hands its stream back.
func TestFencedReadKeepsSocket(t *testing.T) {
	store := memory.New()
	h := st.NewHost(t, shard.HostConfig{Storage: store}, builtin.All()...)
	c, g := st.Open(t, h, "counter", "r", "g1")
	st.Connect(t, c, g, "a")
	st.Handle(t, c, st.Message("a", "incr"))
	if f := g.WaitFrames(t, 1); string(f[0].GetDeliver().GetData()) != "1" {
		t.Fatalf("first incr: %s", st.Dump(f))
	}
	if _, err := store.AcquireLease(context.Background(), roomid.FromName("counter", "r"), "s2"); err != nil {
		t.Fatal(err)
	}
	// One batch: both events run before the room sees its stop.
	st.Handle(t, c, st.Message("a", "incr"), st.Message("a", "incr"))
	st.Eventually(t, func() error {
		if closed, _ := g.Closed(); !closed {
			return fmt.Errorf("stream still open")
		}
		return nil
	})
	f := g.Take()
	for _, fr := range f {
		if fr.GetClose() != nil || fr.GetDeliver() != nil {
			t.Errorf("frame %v after the lease was lost, want only RoomMoving", fr)
		}
	}
	if len(f) == 0 || f[len(f)-1].GetMoving() == nil {
		t.Errorf("frames %s, want RoomMoving last", st.Dump(f))
	}
}
