package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/shard"
	"github.com/roomshard/roomshard/shard/builtin"
)

// rawLink is a gateway's Link with its room streams told apart by id.
type rawLink struct {
	link   roomshardv1.ShardService_LinkClient
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	streams map[uint64]chan *roomshardv1.LinkShardFrames
	left    map[uint64][]*roomshardv1.ShardFrame // frames read but not yet asked for
}

func newRawLink(t *testing.T, c *shardClient) *rawLink {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	link, err := c.Link(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	l := &rawLink{link: link, cancel: cancel, done: make(chan struct{}), streams: map[uint64]chan *roomshardv1.LinkShardFrames{},
		left: map[uint64][]*roomshardv1.ShardFrame{}}
	go func() {
		defer close(l.done)
		for {
			resp, err := link.Recv()
			if err != nil {
				return
			}
			for _, part := range resp.GetStreams() {
				l.stream(part.GetStream()) <- part
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-l.done
	})
	return l
}

func (l *rawLink) stream(id uint64) chan *roomshardv1.LinkShardFrames {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := l.streams[id]
	if ch == nil {
		ch = make(chan *roomshardv1.LinkShardFrames, 4096)
		l.streams[id] = ch
	}
	return ch
}

func (l *rawLink) send(t *testing.T, parts ...*roomshardv1.LinkGatewayFrames) {
	t.Helper()
	if err := l.link.Send(&roomshardv1.LinkRequest{Streams: parts}); err != nil {
		t.Fatalf("Send: %v", err)
	}
}

// next returns the next part the shard sent for stream id.
func (l *rawLink) next(t *testing.T, id uint64) *roomshardv1.LinkShardFrames {
	t.Helper()
	select {
	case part := <-l.stream(id):
		return part
	case <-time.After(5 * time.Second):
		t.Fatalf("stream %d: nothing within 5 s", id)
		return nil
	}
}

// frames returns stream id's next n frames; a part may carry several, and
// what is left over stays for the next call.
func (l *rawLink) frames(t *testing.T, id uint64, n int) []*roomshardv1.ShardFrame {
	t.Helper()
	l.mu.Lock()
	out := l.left[id]
	delete(l.left, id)
	l.mu.Unlock()
	for len(out) < n {
		part := l.next(t, id)
		out = append(out, part.GetFrames()...)
		if part.GetEnd() != nil && len(out) < n {
			t.Fatalf("stream %d ended (%v) after %d of %d frames", id, part.GetEnd(), len(out), n)
		}
	}
	if len(out) > n {
		l.mu.Lock()
		l.left[id] = out[n:]
		l.mu.Unlock()
	}
	return out[:n]
}

// quiet asserts that stream id receives nothing for a moment.
func (l *rawLink) quiet(t *testing.T, id uint64) {
	t.Helper()
	select {
	case part := <-l.stream(id):
		t.Fatalf("stream %d: unexpected %v", id, part)
	case <-time.After(50 * time.Millisecond):
	}
}

func part(id uint64, frames ...*roomshardv1.GatewayFrame) *roomshardv1.LinkGatewayFrames {
	return &roomshardv1.LinkGatewayFrames{Stream: id, Frames: frames}
}

func connectFrame(id string) *roomshardv1.GatewayFrame {
	return &roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_Connected{Connected: &roomshardv1.SocketConnected{
		Socket: &roomshardv1.Socket{Id: id}}}}
}

// TestLinkCarriesManyRooms: room streams on one Link are told apart,
// and one ending, by cancel or bad input, ends no other.
func TestLinkCarriesManyRooms(t *testing.T) {
	s := startShard(t, loopbackConfig("s1"))
	l := newRawLink(t, dial(t, s.GRPCAddr()))
	l.send(t,
		part(1, openFrame("echo", "a", "g1"), connectFrame("s")),
		part(2, openFrame("echo", "b", "g1"), connectFrame("s")),
		part(3, openFrame("echo", "c", "g1"), connectFrame("s")))
	for id := uint64(1); id <= 3; id++ {
		fs := l.frames(t, id, 2)
		if fs[0].GetOpened() == nil || fs[1].GetTags().GetSocketId() != "s" {
			t.Fatalf("stream %d opened with %v", id, fs)
		}
	}
	l.send(t, part(1, msg("s", "to a")), part(2, msg("s", "to b")), part(3, msg("s", "to c")))
	for id, text := range map[uint64]string{1: "to a", 2: "to b", 3: "to c"} {
		wantDeliver(t, l.frames(t, id, 1)[0], []string{"s"}, false, nil, "[Durable Object]: "+text)
	}

	// Cancelling stream 2 ends it quietly; late frames for it are ignored.
	l.send(t, &roomshardv1.LinkGatewayFrames{Stream: 2, Cancel: true})
	l.send(t, part(2, msg("s", "late")))
	l.quiet(t, 2)

	// A new stream without OpenRoom ends with InvalidArgument, alone.
	l.send(t, part(7, msg("s", "no open")))
	if end := l.next(t, 7).GetEnd(); codes.Code(end.GetCode()) != codes.InvalidArgument {
		t.Errorf("stream 7 end = %v, want InvalidArgument", end)
	}
	// An id at or below the highest one seen is a stream that ended.
	l.send(t, part(5, openFrame("echo", "d", "g1")))
	l.quiet(t, 5)

	// Bad input on stream 3 ends stream 3 only.
	l.send(t, part(3, msg("ghost", "boo")))
	if end := l.next(t, 3).GetEnd(); codes.Code(end.GetCode()) != codes.NotFound {
		t.Errorf("stream 3 end = %v, want NotFound", end)
	}
	l.send(t, part(1, msg("s", "still here")))
	wantDeliver(t, l.frames(t, 1, 1)[0], []string{"s"}, false, nil, "[Durable Object]: still here")

	// Half-closing stream 1 ends it cleanly once the room answered.
	l.send(t, &roomshardv1.LinkGatewayFrames{Stream: 1, HalfClose: true})
	for {
		p := l.next(t, 1)
		if end := p.GetEnd(); end != nil {
			if codes.Code(end.GetCode()) != codes.OK {
				t.Errorf("stream 1 end = %v, want OK", end)
			}
			break
		}
	}
}

// gateRoom answers each message with its text once release is closed.
type gateRoom struct {
	shard.BaseRoom
	release chan struct{}
}

func (g gateRoom) Message(ctx context.Context, ws *shard.WebSocket, m shard.Message) error {
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return ws.Send(m)
}

// TestLinkBusyRoomHoldsUpNoOther: a room that stops taking events fills
// its inbox; frames for it then wait on their own, and the other rooms on
// the same Link are served meanwhile. Nothing is lost or reordered.
func TestLinkBusyRoomHoldsUpNoOther(t *testing.T) {
	release := make(chan struct{})
	cfg := loopbackConfig("s1")
	cfg.Classes = append(builtin.All(), shard.Class{Name: "gate", New: func(*shard.State) shard.Room {
		return gateRoom{release: release}
	}})
	s := startShard(t, cfg)
	l := newRawLink(t, dial(t, s.GRPCAddr()))
	l.send(t, part(1, openFrame("gate", "busy", "g1"), connectFrame("s")), part(2, openFrame("echo", "free", "g1"), connectFrame("s")))
	l.frames(t, 1, 2)
	l.frames(t, 2, 2)

	// Each LinkRequest is one inbox entry of the gated room: send more
	// than its inbox holds (64), each followed by a frame for the free room.
	const sent = 200
	for i := range sent {
		l.send(t, part(1, msg("s", fmt.Sprint(i))))
		l.send(t, part(2, msg("s", fmt.Sprint("free ", i))))
	}
	for i := range sent {
		wantDeliver(t, l.frames(t, 2, 1)[0], []string{"s"}, false, nil, fmt.Sprint("[Durable Object]: free ", i))
	}
	l.quiet(t, 1)
	close(release)
	for i, f := range l.frames(t, 1, sent) {
		wantDeliver(t, f, []string{"s"}, false, nil, fmt.Sprint(i))
	}
}

// TestLinkEndsWithShutdown: a shard shutting down moves its rooms (each
// stream gets RoomMoving and ends), then ends the Link itself, so a
// graceful stop does not wait for the gateway to hang up.
func TestLinkEndsWithShutdown(t *testing.T) {
	s := startShard(t, loopbackConfig("s1"))
	l := newRawLink(t, dial(t, s.GRPCAddr()))
	l.send(t, part(1, openFrame("echo", "a", "g1"), connectFrame("s")))
	l.frames(t, 1, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if f := l.frames(t, 1, 1)[0]; f.GetMoving() == nil {
		t.Errorf("frame = %v, want RoomMoving", f)
	}
	select {
	case <-l.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the Link did not end after Shutdown")
	}
}
