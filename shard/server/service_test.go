package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/ops"
	"github.com/roomshard/roomshard/cluster/ring"
	"github.com/roomshard/roomshard/cluster/roomid"
	"github.com/roomshard/roomshard/shard"
	"github.com/roomshard/roomshard/shard/builtin"
	"github.com/roomshard/roomshard/shard/server"
)

// TestBroadcastOverGRPC: two gateways, three sockets; a broadcast crosses
// each gateway stream once, as Deliver{all, except}, with the exact texts.
func TestBroadcastOverGRPC(t *testing.T) {
	for _, via := range transports {
		t.Run(via, func(t *testing.T) { testBroadcastOverGRPC(t, via) })
	}
}

func testBroadcastOverGRPC(t *testing.T, via string) {
	s := startShard(t, loopbackConfig("s1"))
	c := dialVia(t, s.GRPCAddr(), via)
	g1 := open(t, c, "broadcast", "lobby", "g1")
	g2 := open(t, c, "broadcast", "lobby", "g2")
	g1.connect(t, "a", "b")
	g2.connect(t, "c")

	g1.send(t, msg("a", "hello"))
	p := "[Durable Object] message: hello, from: a, to: "
	wantDeliver(t, g1.next(t), []string{"a"}, false, nil, p+"the initiating client. Total connections: 3")
	wantDeliver(t, g1.next(t), nil, true, []string{"a"}, p+"all clients except the initiating client. Total connections: 3")
	wantDeliver(t, g1.next(t), nil, true, nil, p+"all clients. Total connections: 3")
	wantDeliver(t, g2.next(t), nil, true, nil, p+"all clients except the initiating client. Total connections: 3")
	wantDeliver(t, g2.next(t), nil, true, nil, p+"all clients. Total connections: 3")
	g1.quiet(t)
	g2.quiet(t)

	n, err := c.CountConnections(context.Background(), &roomshardv1.CountConnectionsRequest{Room: &roomshardv1.RoomRef{Namespace: "broadcast", Name: "lobby"}})
	if err != nil || n.GetConnections() != 3 || n.GetRedirect() != nil {
		t.Fatalf("CountConnections = %v, %v", n, err)
	}

	// A client closing: the room answers 1000, then the gateway, holding no
	// socket, half-closes and the stream ends cleanly.
	g2.send(t, &roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_Closed{Closed: &roomshardv1.SocketClosed{SocketId: "c", Code: 1001, WasClean: true}}})
	if f := g2.next(t).GetClose(); f.GetSocketId() != "c" || f.GetCode() != 1000 || f.GetReason() != "Durable Object is closing WebSocket" {
		t.Errorf("close answer = %v", f)
	}
	if err := g2.closeSend(); err != nil {
		t.Fatal(err)
	}
	if err := g2.end(t); err != io.EOF {
		t.Errorf("stream end = %v, want a clean end", err)
	}
}

func TestCountConnections(t *testing.T) {
	s := startShard(t, loopbackConfig("s1"))
	c := dial(t, s.GRPCAddr())
	g1 := open(t, c, "echo", "counted", "g1")
	g2 := open(t, c, "echo", "counted", "g2")
	g1.connect(t, "a")
	g2.connect(t, "b", "c")
	ctx := context.Background()
	count := func(ref *roomshardv1.RoomRef) (int64, error) {
		resp, err := c.CountConnections(ctx, &roomshardv1.CountConnectionsRequest{Room: ref})
		return resp.GetConnections(), err
	}
	if n, err := count(&roomshardv1.RoomRef{Namespace: "echo", Name: "counted"}); n != 3 || err != nil {
		t.Errorf("by name = %d, %v", n, err)
	}
	if n, err := count(&roomshardv1.RoomRef{Namespace: "echo", Id: roomid.FromName("echo", "counted")}); n != 3 || err != nil {
		t.Errorf("by id = %d, %v", n, err)
	}
	if n, err := count(&roomshardv1.RoomRef{Namespace: "echo", Name: "empty"}); n != 0 || err != nil {
		t.Errorf("room not held = %d, %v", n, err)
	}
	if _, err := count(&roomshardv1.RoomRef{Namespace: "nope", Name: "x"}); status.Code(err) != codes.NotFound {
		t.Errorf("unknown namespace = %v, want NotFound", err)
	}
	if _, err := count(&roomshardv1.RoomRef{Namespace: "echo"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("no name or id = %v, want InvalidArgument", err)
	}

	// A gateway going away: its sockets leave the room.
	g2.cancel()
	eventually(t, func() error {
		if n, err := count(&roomshardv1.RoomRef{Namespace: "echo", Name: "counted"}); n != 1 || err != nil {
			return fmt.Errorf("after g2 left: %d, %v", n, err)
		}
		return nil
	})
	g1.send(t, msg("a", "still"))
	wantDeliver(t, g1.next(t), []string{"a"}, false, nil, "[Durable Object]: still")
}

// TestBadInput: malformed streams end with status errors; the shard and
// its other rooms are unaffected.
func TestBadInput(t *testing.T) {
	for _, via := range transports {
		t.Run(via, func(t *testing.T) { testBadInput(t, via) })
	}
}

func testBadInput(t *testing.T, via string) {
	s := startShard(t, loopbackConfig("s1"))
	c := dialVia(t, s.GRPCAddr(), via)
	good := open(t, c, "echo", "good", "g1")
	good.connect(t, "ok")

	connected := &roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_Connected{Connected: &roomshardv1.SocketConnected{Socket: &roomshardv1.Socket{Id: "x"}}}}
	cases := []struct {
		name   string
		frames [][]*roomshardv1.GatewayFrame // one RoomRequest each
		want   codes.Code
	}{
		{"no OpenRoom first", [][]*roomshardv1.GatewayFrame{{msg("x", "hi")}}, codes.InvalidArgument},
		{"empty request", [][]*roomshardv1.GatewayFrame{{}}, codes.InvalidArgument},
		{"empty frame", [][]*roomshardv1.GatewayFrame{{{}}}, codes.InvalidArgument},
		{"unknown namespace", [][]*roomshardv1.GatewayFrame{{openFrame("nope", "r", "g9")}}, codes.NotFound},
		{"name too long", [][]*roomshardv1.GatewayFrame{{openFrame("echo", strings.Repeat("n", 257), "g9")}}, codes.InvalidArgument},
		{"no gateway", [][]*roomshardv1.GatewayFrame{{openFrame("echo", "r", "")}}, codes.InvalidArgument},
		{"OpenRoom twice", [][]*roomshardv1.GatewayFrame{{openFrame("echo", "r", "g9")}, {openFrame("echo", "r", "g9")}}, codes.InvalidArgument},
		{"unknown socket", [][]*roomshardv1.GatewayFrame{{openFrame("echo", "r", "g9")}, {msg("ghost", "boo")}}, codes.NotFound},
		{"same batch", [][]*roomshardv1.GatewayFrame{{openFrame("echo", "r", "g9"), msg("ghost", "boo")}}, codes.NotFound},
		{"duplicate socket", [][]*roomshardv1.GatewayFrame{{openFrame("echo", "good", "g9"), connected}, {connected}}, codes.AlreadyExists},
		{"taken socket", [][]*roomshardv1.GatewayFrame{{openFrame("echo", "good", "g9")}, {{Frame: &roomshardv1.GatewayFrame_Connected{Connected: &roomshardv1.SocketConnected{Socket: &roomshardv1.Socket{Id: "ok"}}}}}}, codes.AlreadyExists},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newStream(t, c)
			for _, frames := range tc.frames {
				g.send(t, frames...)
			}
			if err := g.end(t); status.Code(err) != tc.want {
				t.Errorf("stream ended with %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("EOF before OpenRoom", func(t *testing.T) {
		g := newStream(t, c)
		if err := g.closeSend(); err != nil {
			t.Fatal(err)
		}
		if err := g.end(t); status.Code(err) != codes.InvalidArgument {
			t.Errorf("stream ended with %v, want InvalidArgument", err)
		}
	})
	good.send(t, msg("ok", "alive"))
	wantDeliver(t, good.next(t), []string{"ok"}, false, nil, "[Durable Object]: alive")
}

// TestRedirect serves a Host whose ring gives every room to s2.
func TestRedirect(t *testing.T) {
	ns, err := shard.Bind(builtin.All(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rg := ring.New([]ring.Node{{Name: "s2", Addr: "10.1.2.3:7100"}}, 0)
	h, err := shard.NewHost(shard.HostConfig{Node: "s1", Namespaces: ns, Ring: func() *ring.Ring { return rg }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	gs, _ := ops.NewGRPCServer()
	svc := server.NewService(h, slog.New(slog.DiscardHandler), 100, 1<<20)
	roomshardv1.RegisterShardServiceServer(gs, svc)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop := ops.ServeGRPC(gs, ln, nil)
	t.Cleanup(func() {
		stop(context.Background())
		svc.Wait()
		_ = h.Close(context.Background())
	})

	c := dial(t, ln.Addr().String())
	g := newStream(t, c, openFrame("echo", "x", "g1"))
	rd := g.next(t).GetRedirect()
	if rd.GetOwner() != "s2" || rd.GetOwnerGrpcAddr() != "10.1.2.3:7100" || rd.GetRingVersion() != rg.Version() {
		t.Errorf("redirect = %v", rd)
	}
	if err := g.end(t); err != io.EOF {
		t.Errorf("stream end = %v, want a clean end after Redirect", err)
	}
	resp, err := c.CountConnections(context.Background(), &roomshardv1.CountConnectionsRequest{Room: &roomshardv1.RoomRef{Namespace: "echo", Name: "x"}})
	if err != nil || resp.GetRedirect().GetOwner() != "s2" {
		t.Errorf("CountConnections = %v, %v; want a redirect", resp, err)
	}
}

func TestShutdownMovesRooms(t *testing.T) {
	s := startShard(t, loopbackConfig("s1"))
	c := dial(t, s.GRPCAddr())
	g := open(t, c, "echo", "r", "g1")
	g.connect(t, "a")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if f := g.next(t); f.GetMoving() == nil {
		t.Errorf("frame = %v, want RoomMoving", f)
	}
	if err := g.end(t); err != io.EOF {
		t.Errorf("stream end = %v", err)
	}
}
