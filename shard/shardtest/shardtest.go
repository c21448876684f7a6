// Package shardtest drives rooms through the real runtime without gRPC:
// a fake gateway stream (Gateway), a Host fixture and frame builders. Room
// class authors use it to test their classes. Everything here is safe for
// concurrent use.
package shardtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/prototext"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/clustertest"
	"github.com/roomshard/roomshard/cluster/ring"
	"github.com/roomshard/roomshard/shard"
)

// Gateway is a fake gateway stream: a shard.Outbound that records the
// frames the room sends it.
type Gateway struct {
	name string
	// protects frames, closed and err
	mu     sync.Mutex
	frames []*roomshardv1.ShardFrame
	sends  int
	closed bool
	err    error
	kick   chan struct{}
}

// NewGateway returns a Gateway; name shows in failure messages.
func NewGateway(name string) *Gateway {
	return &Gateway{name: name, kick: make(chan struct{}, 1)}
}

// Name is the gateway's name.
func (g *Gateway) Name() string { return g.name }

// Send implements shard.Outbound.
func (g *Gateway) Send(frames ...*roomshardv1.ShardFrame) {
	g.mu.Lock()
	if !g.closed {
		g.frames = append(g.frames, frames...)
		g.sends++
	}
	g.mu.Unlock()
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// Close implements shard.Outbound.
func (g *Gateway) Close(err error) {
	g.mu.Lock()
	if !g.closed {
		g.closed, g.err = true, err
	}
	g.mu.Unlock()
}

// Take returns and forgets the frames received so far.
func (g *Gateway) Take() []*roomshardv1.ShardFrame {
	g.mu.Lock()
	defer g.mu.Unlock()
	f := g.frames
	g.frames = nil
	return f
}

// Closed reports whether the room closed the stream, and with what error.
func (g *Gateway) Closed() (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed, g.err
}

// WaitFrames waits until n frames arrived and returns exactly those.
func (g *Gateway) WaitFrames(t testing.TB, n int) []*roomshardv1.ShardFrame {
	t.Helper()
	var got []*roomshardv1.ShardFrame
	Eventually(t, func() error {
		got = append(got, g.Take()...)
		if len(got) < n {
			return fmt.Errorf("%s: %d frames, want %d: %s", g.name, len(got), n, Dump(got))
		}
		return nil
	})
	if len(got) > n {
		t.Fatalf("%s: %d frames, want %d: %s", g.name, len(got), n, Dump(got))
	}
	return got
}

// Quiet asserts no frame arrives for a moment.
func (g *Gateway) Quiet(t testing.TB) {
	t.Helper()
	time.Sleep(20 * time.Millisecond)
	if f := g.Take(); len(f) > 0 {
		t.Fatalf("%s: unexpected frames: %s", g.name, Dump(f))
	}
}

// Dump formats frames for failure messages.
func Dump(frames []*roomshardv1.ShardFrame) string {
	s := ""
	for _, f := range frames {
		line := prototext.MarshalOptions{}.Format(f)
		if len(line) > 300 {
			line = line[:300] + "…"
		}
		s += "\n  " + line
	}
	return s
}

// Eventually polls f until it returns nil, failing after 5 s.
func Eventually(t testing.TB, f func() error) {
	t.Helper()
	clustertest.Eventually(t, 5*time.Second, 2*time.Millisecond, f)
}

// NewHost returns a Host named "s1" whose ring gives it every room,
// running classes (each bound to its own name) with cfg's other fields. It
// is closed when the test ends.
func NewHost(t testing.TB, cfg shard.HostConfig, classes ...shard.Class) *shard.Host {
	t.Helper()
	ns, err := shard.Bind(classes, nil)
	if err != nil {
		t.Fatal(err)
	}
	rg := ring.New([]ring.Node{{Name: "s1", Addr: "127.0.0.1:7100"}}, 0)
	cfg.Node, cfg.Namespaces = "s1", ns
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logWriter{t}, nil))
	}
	if cfg.Ring == nil {
		cfg.Ring = func() *ring.Ring { return rg }
	}
	h, err := shard.NewHost(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return h
}

// logWriter sends log lines to the test log, shown on failure or with -v.
type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// Open attaches a new Gateway to room ns/name and consumes its RoomOpened.
func Open(t testing.TB, h *shard.Host, ns, name, gateway string, sockets ...*roomshardv1.Socket) (*shard.Conn, *Gateway) {
	t.Helper()
	g := NewGateway(gateway)
	conn, rd, err := h.Open(context.Background(), &roomshardv1.OpenRoom{
		Room: &roomshardv1.RoomRef{Namespace: ns, Name: name}, Gateway: gateway, Sockets: sockets,
	}, g)
	if err != nil || rd != nil {
		t.Fatalf("Open(%s/%s): redirect %v, err %v", ns, name, rd, err)
	}
	var first *roomshardv1.ShardFrame
	Eventually(t, func() error {
		g.mu.Lock()
		defer g.mu.Unlock()
		if len(g.frames) == 0 {
			return errors.New("no RoomOpened yet")
		}
		first, g.frames = g.frames[0], g.frames[1:]
		return nil
	})
	if first.GetOpened().GetShard() != "s1" {
		t.Fatalf("first frame = %v, want RoomOpened", first)
	}
	return conn, g
}

// Handle hands frames to the room, failing the test on error.
func Handle(t testing.TB, c *shard.Conn, frames ...*roomshardv1.GatewayFrame) {
	t.Helper()
	if err := c.Handle(context.Background(), frames); err != nil {
		t.Fatal(err)
	}
}

// Connected is a SocketConnected frame.
func Connected(id string) *roomshardv1.GatewayFrame {
	return &roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_Connected{Connected: &roomshardv1.SocketConnected{
		Socket: &roomshardv1.Socket{Id: id},
	}}}
}

// ConnectedAs is a SocketConnected frame with an identity.
func ConnectedAs(id, identity string) *roomshardv1.GatewayFrame {
	f := Connected(id)
	f.GetConnected().Socket.Identity = identity
	return f
}

// Message is a text SocketMessage frame.
func Message(id, text string) *roomshardv1.GatewayFrame {
	return &roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_Message{Message: &roomshardv1.SocketMessage{
		SocketId: id, Data: []byte(text),
	}}}
}

// ClosedFrame is a clean SocketClosed frame.
func ClosedFrame(id string, code int32, reason string) *roomshardv1.GatewayFrame {
	return &roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_Closed{Closed: &roomshardv1.SocketClosed{
		SocketId: id, Code: code, Reason: reason, WasClean: true,
	}}}
}

// Connect connects sockets on c and consumes their SetTags acceptances from g.
func Connect(t testing.TB, c *shard.Conn, g *Gateway, ids ...string) {
	t.Helper()
	for _, id := range ids {
		Handle(t, c, Connected(id))
	}
	var accepted []string
	Eventually(t, func() error {
		for _, f := range g.Take() {
			if tg := f.GetTags(); tg != nil {
				accepted = append(accepted, tg.GetSocketId())
			}
		}
		if len(accepted) < len(ids) {
			return fmt.Errorf("%s: accepted %v, want %v", g.name, accepted, ids)
		}
		return nil
	})
	if !slices.Equal(accepted, ids) {
		t.Fatalf("accepted %v, want %v", accepted, ids)
	}
}

// Deliver describes a Deliver frame for comparisons.
type Deliver struct {
	IDs    []string
	All    bool
	Except []string
	Text   string
}

// WantDelivers checks that got is exactly the Deliver frames want.
func WantDelivers(t testing.TB, got []*roomshardv1.ShardFrame, want ...Deliver) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d: %s", len(got), len(want), Dump(got))
	}
	for i, w := range want {
		d := got[i].GetDeliver()
		if d == nil {
			t.Fatalf("frame %d is not Deliver: %s", i, Dump(got[i:i+1]))
		}
		if !slices.Equal(d.GetSocketIds(), w.IDs) || d.GetAll() != w.All || !slices.Equal(d.GetExcept(), w.Except) || string(d.GetData()) != w.Text {
			t.Errorf("frame %d = ids %v all %v except %v %q\n            want ids %v all %v except %v %q",
				i, d.GetSocketIds(), d.GetAll(), d.GetExcept(), d.GetData(), w.IDs, w.All, w.Except, w.Text)
		}
	}
}

// WantClose checks that f is CloseSocket{id, code, reason}.
func WantClose(t testing.TB, f *roomshardv1.ShardFrame, id string, code int32, reason string) {
	t.Helper()
	c := f.GetClose()
	if c == nil || c.GetSocketId() != id || c.GetCode() != code || c.GetReason() != reason {
		t.Fatalf("frame = %s, want CloseSocket %s %d %q", Dump([]*roomshardv1.ShardFrame{f}), id, code, reason)
	}
}
