package shard_test

import (
	"context"
	"errors"
	"testing"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/admin"
	"github.com/roomshard/roomshard/cluster/roomid"
	"github.com/roomshard/roomshard/shard"
	st "github.com/roomshard/roomshard/shard/shardtest"
)

var _ admin.Local = (*shard.Host)(nil)

func TestAdminLocal(t *testing.T) {
	var drained []roomshardv1.MemberState
	h := st.NewHost(t, shard.HostConfig{SetState: func(_ context.Context, s roomshardv1.MemberState) error {
		drained = append(drained, s)
		return nil
	}}, append([]shard.Class{faultyClass()}, counterClass())...)
	ctx := context.Background()
	ref := &roomshardv1.RoomRef{Namespace: "faulty", Name: "lobby"}
	id := roomid.FromName("faulty", "lobby")

	c1, g1 := st.Open(t, h, "faulty", "lobby", "g1")
	c2, g2 := st.Open(t, h, "faulty", "lobby", "g2")
	st.Connect(t, c1, g1, "a", "b")
	st.Connect(t, c2, g2, "c")
	st.Open(t, h, "count", "other", "g1")

	rooms := h.Rooms(ctx)
	if len(rooms) != 2 {
		t.Fatalf("Rooms = %v", rooms)
	}
	for _, r := range rooms {
		if r.GetId() == id && (r.GetSockets() != 3 || r.GetGateways() != 2 || r.GetShard() != "s1" || r.GetName() != "lobby") {
			t.Errorf("lobby = %v", r)
		}
	}
	resp, ok := h.Room(ctx, id)
	if !ok || len(resp.GetSockets()) != 3 || resp.GetOwner() != "s1" || resp.GetSockets()[2].GetGateway() != "g2" {
		t.Fatalf("Room = %v, %v", resp, ok)
	}
	if _, ok := h.Room(ctx, roomid.FromName("faulty", "none")); ok {
		t.Error("Room found a room the shard does not hold")
	}
	if n, _, err := h.CountConnections(ref); n != 3 || err != nil {
		t.Errorf("CountConnections = %d, %v", n, err)
	}

	// Publish crosses each stream once and runs no room code.
	n, err := h.Publish(ctx, ref, []byte("news"), false)
	if n != 3 || err != nil {
		t.Fatalf("Publish = %d, %v", n, err)
	}
	st.WantDelivers(t, g1.WaitFrames(t, 1), st.Deliver{All: true, Text: "news"})
	st.WantDelivers(t, g2.WaitFrames(t, 1), st.Deliver{All: true, Text: "news"})
	if n, err := h.Publish(ctx, &roomshardv1.RoomRef{Id: id}, []byte("by id"), true); n != 3 || err != nil {
		t.Errorf("Publish by id = %d, %v", n, err)
	}
	g1.Take()
	g2.Take()

	n, err = h.CloseSockets(ctx, ref, []string{"b", "nope"}, 4001, "bye")
	if n != 1 || err != nil {
		t.Fatalf("CloseSockets = %d, %v", n, err)
	}
	st.WantClose(t, g1.WaitFrames(t, 1)[0], "b", 4001, "bye")
	n, err = h.CloseSockets(ctx, ref, nil, 0, "")
	if n != 2 || err != nil {
		t.Fatalf("CloseSockets(all) = %d, %v", n, err)
	}
	st.WantClose(t, g1.WaitFrames(t, 1)[0], "a", 1000, "")
	st.WantClose(t, g2.WaitFrames(t, 1)[0], "c", 1000, "")
	if _, err := h.CloseSockets(ctx, ref, nil, 1006, ""); !errors.Is(err, shard.ErrBadCloseCode) {
		t.Errorf("CloseSockets(1006) = %v", err)
	}

	if n, err := h.Drain(ctx); n != 2 || err != nil || !h.Draining() || len(drained) != 1 || drained[0] != roomshardv1.MemberState_MEMBER_STATE_DRAINING {
		t.Errorf("Drain = %d, %v; states %v", n, err, drained)
	}
}

func TestBind(t *testing.T) {
	echo := shard.Class{Name: "echo", New: func(*shard.State) shard.Room { return shard.BaseRoom{} }}
	ns, err := shard.Bind([]shard.Class{echo}, []string{"mirror=echo"})
	if err != nil || ns["mirror"].Name != "echo" || ns["echo"].Name != "echo" {
		t.Fatalf("Bind = %v, %v", ns, err)
	}
	if got := shard.BindingList(ns); len(got) != 2 || got[0] != "echo=echo" || got[1] != "mirror=echo" {
		t.Errorf("BindingList = %v", got)
	}
	bad := map[string]struct {
		classes  []shard.Class
		bindings []string
	}{
		"no equals":       {[]shard.Class{echo}, []string{"mirror"}},
		"unknown class":   {[]shard.Class{echo}, []string{"x=nope"}},
		"empty namespace": {[]shard.Class{echo}, []string{"=echo"}},
		"comma":           {[]shard.Class{echo}, []string{"a,b=echo"}},
		"duplicate class": {[]shard.Class{echo, echo}, nil},
		"no constructor":  {[]shard.Class{{Name: "x"}}, nil},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := shard.Bind(tc.classes, tc.bindings); !errors.Is(err, shard.ErrBadBinding) {
				t.Errorf("Bind = %v, want ErrBadBinding", err)
			}
		})
	}
}
