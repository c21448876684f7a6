package server_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/roomshard/roomshard/shard/server"
)

// TestMaxRooms: past --max-rooms a new room is refused with
// ResourceExhausted, while a room the shard holds still takes more
// gateways.
func TestMaxRooms(t *testing.T) {
	cfg := loopbackConfig("s1")
	cfg.MaxRooms = 1
	s := startShard(t, cfg)
	c := dial(t, s.GRPCAddr())
	a := open(t, c, "echo", "a", "g1")
	a.connect(t, "x") // keeps the room held

	refused := newStream(t, c, openFrame("echo", "b", "g1"))
	err := refused.end(t)
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("second room: %v, want ResourceExhausted", err)
	}
	if msg := status.Convert(err).Message(); msg == "" || !strings.Contains(msg, server.ErrRoomLimit.Error()) {
		t.Fatalf("message %q does not name the limit", msg)
	}
	open(t, c, "echo", "a", "g2") // same room, another gateway
}
