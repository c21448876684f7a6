package builtin_test

import (
	"context"
	"fmt"
	"time"

	"testing"

	"github.com/roomshard/roomshard/shard"
	"github.com/roomshard/roomshard/shard/builtin"
	"github.com/roomshard/roomshard/shard/shardtest"
)

func newHost(t *testing.T) *shard.Host {
	return shardtest.NewHost(t, shard.HostConfig{}, builtin.All()...)
}

func TestEcho(t *testing.T) {
	h := newHost(t)
	c, g := shardtest.Open(t, h, "echo", "x", "g1")
	shardtest.Connect(t, c, g, "a")
	shardtest.Handle(t, c, shardtest.Message("a", "ping me"))
	shardtest.WantDelivers(t, g.WaitFrames(t, 1), shardtest.Deliver{IDs: []string{"a"}, Text: "[Durable Object]: ping me"})
}

// TestBroadcast checks the three sends, their order and routing: the
// sender's gateway g1 holds a and c, g2 holds b.
func TestBroadcast(t *testing.T) {
	h := newHost(t)
	c1, g1 := shardtest.Open(t, h, "broadcast", "lobby", "g1")
	c2, g2 := shardtest.Open(t, h, "broadcast", "lobby", "g2")
	shardtest.Connect(t, c1, g1, "a")
	shardtest.Connect(t, c2, g2, "b")
	shardtest.Connect(t, c1, g1, "c")

	shardtest.Handle(t, c1, shardtest.Message("a", "hello"))
	p := "[Durable Object] message: hello, from: a, to: "
	shardtest.WantDelivers(t, g1.WaitFrames(t, 3),
		shardtest.Deliver{IDs: []string{"a"}, Text: p + "the initiating client. Total connections: 3"},
		shardtest.Deliver{All: true, Except: []string{"a"}, Text: p + "all clients except the initiating client. Total connections: 3"},
		shardtest.Deliver{All: true, Text: p + "all clients. Total connections: 3"},
	)
	shardtest.WantDelivers(t, g2.WaitFrames(t, 2),
		shardtest.Deliver{All: true, Text: p + "all clients except the initiating client. Total connections: 3"},
		shardtest.Deliver{All: true, Text: p + "all clients. Total connections: 3"},
	)

	// A client closing gets the room's 1000 answer; the count drops.
	shardtest.Handle(t, c2, shardtest.ClosedFrame("b", 1001, "bye"))
	shardtest.WantClose(t, g2.WaitFrames(t, 1)[0], "b", 1000, "Durable Object is closing WebSocket")
	shardtest.Handle(t, c1, shardtest.Message("c", "x"))
	got := g1.WaitFrames(t, 3)
	if want := "[Durable Object] message: x, from: c, to: the initiating client. Total connections: 2"; string(got[0].GetDeliver().GetData()) != want {
		t.Errorf("after close: %q, want %q", got[0].GetDeliver().GetData(), want)
	}
	g2.Quiet(t) // g2 has no sockets left: nothing crosses its stream
}

func TestHibernation(t *testing.T) {
	h := newHost(t)
	c1, g1 := shardtest.Open(t, h, "hibernation", "h", "g1")
	c2, g2 := shardtest.Open(t, h, "hibernation", "h", "g2")

	// The constructor runs in the first event and sets the auto-response on
	// both streams; the connect hook sets the attachment; SetTags (accept) first.
	shardtest.Handle(t, c1, shardtest.Connected("a"))
	f := g1.WaitFrames(t, 3)
	if tg := f[0].GetTags(); tg.GetSocketId() != "a" {
		t.Errorf("frame 0 = %s, want SetTags a", shardtest.Dump(f[:1]))
	}
	if ar := f[1].GetAutoResponse(); ar.GetRequest() != "ping" || ar.GetResponse() != "pong" {
		t.Errorf("frame 1 = %s, want SetAutoResponse ping pong", shardtest.Dump(f[1:2]))
	}
	if at := f[2].GetAttachment(); at.GetSocketId() != "a" || string(at.GetAttachment()) != `{"id":"a"}` {
		t.Errorf("frame 2 = %s, want SetAttachment a", shardtest.Dump(f[2:3]))
	}
	if ar := g2.WaitFrames(t, 1)[0].GetAutoResponse(); ar.GetRequest() != "ping" {
		t.Errorf("g2 did not get the auto-response")
	}
	shardtest.Handle(t, c2, shardtest.Connected("b"))
	if f := g2.WaitFrames(t, 2); f[0].GetTags() == nil || string(f[1].GetAttachment().GetAttachment()) != `{"id":"b"}` {
		t.Errorf("b's accept = %s", shardtest.Dump(f))
	}

	shardtest.Handle(t, c1, shardtest.Message("a", "hi"))
	text := "[Durable Object] message: hi, from: a. Total connections: 2"
	shardtest.WantDelivers(t, g1.WaitFrames(t, 2),
		shardtest.Deliver{IDs: []string{"a"}, Text: text},
		shardtest.Deliver{All: true, Text: text},
		// all-but-a on g1 reaches nobody: not sent
	)
	shardtest.WantDelivers(t, g2.WaitFrames(t, 2),
		shardtest.Deliver{All: true, Text: text},
		shardtest.Deliver{All: true, Text: text},
	)
}

func TestHibernationRoomIsEvictedAndRebuilt(t *testing.T) {
	h := shardtest.NewHost(t, shard.HostConfig{HibernateAfter: 20 * time.Millisecond}, builtin.All()...)
	c, g := shardtest.Open(t, h, "hibernation", "sleepy", "g1")
	shardtest.Handle(t, c, shardtest.Connected("a"))
	g.WaitFrames(t, 3)
	shardtest.Eventually(t, func() error {
		if r := h.Rooms(context.Background()); len(r) != 1 || !r[0].GetHibernated() {
			return fmt.Errorf("rooms = %v, want one hibernated", r)
		}
		return nil
	})
	// Woken by a message: the attachment (kept by the runtime) still names a.
	shardtest.Handle(t, c, shardtest.Message("a", "again"))
	text := "[Durable Object] message: again, from: a. Total connections: 1"
	shardtest.WantDelivers(t, g.WaitFrames(t, 2),
		shardtest.Deliver{IDs: []string{"a"}, Text: text},
		shardtest.Deliver{All: true, Text: text},
	)
}
