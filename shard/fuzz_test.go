package shard_test

import (
	"context"
	"log/slog"
	"testing"

	"google.golang.org/protobuf/proto"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/shard"
	st "github.com/roomshard/roomshard/shard/shardtest"
)

// FuzzGatewayFrames feeds arbitrary gateway requests to a room: the
// runtime may refuse them but must not panic, and the room must keep
// answering a well-behaved stream.
func FuzzGatewayFrames(f *testing.F) {
	seed := func(frames ...*roomshardv1.GatewayFrame) {
		b, err := proto.Marshal(&roomshardv1.RoomRequest{Frames: frames})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	seed(st.Connected("x"), st.Message("x", "hi"), st.ClosedFrame("x", 1000, ""))
	seed(st.Message("nobody", "hi"))
	seed(&roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_Open{Open: &roomshardv1.OpenRoom{Gateway: "g", Room: &roomshardv1.RoomRef{Namespace: "echo", Name: "r"}, Sockets: []*roomshardv1.Socket{{Id: "y", Accepted: true}}}}})
	seed(&roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_AutoResponded{AutoResponded: &roomshardv1.AutoResponded{SocketId: "x", AtUnixMs: -5}}})
	seed(st.Connected("x"), st.Connected("x"))

	// f.Log may not be called from the fuzz target: discard the rooms' logs.
	h := st.NewHost(f, shard.HostConfig{Logger: slog.New(slog.DiscardHandler)}, faultyClass(), counterClass())
	good, gg := st.Open(f, h, "count", "steady", "good")
	st.Connect(f, good, gg, "me")

	f.Fuzz(func(t *testing.T, data []byte) {
		var req roomshardv1.RoomRequest
		if proto.Unmarshal(data, &req) != nil {
			return
		}
		g := st.NewGateway("fuzz")
		conn, _, err := h.Open(context.Background(), &roomshardv1.OpenRoom{Gateway: "fuzz", Room: &roomshardv1.RoomRef{Namespace: "faulty", Name: "fuzzed"}}, g)
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range req.GetFrames() {
			if open := fr.GetOpen(); open != nil {
				if c, _, err := h.Open(context.Background(), open, st.NewGateway("fuzz2")); err == nil {
					c.Detach(nil)
				}
			}
		}
		_ = conn.Handle(context.Background(), req.GetFrames())
		conn.Detach(nil)
		st.Handle(t, good, st.Message("me", "get"))
		if f := gg.WaitFrames(t, 1); f[0].GetDeliver() == nil {
			t.Fatalf("steady room answered %v", f)
		}
	})
}
