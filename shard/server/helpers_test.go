package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/shard/server"
	"github.com/roomshard/roomshard/shard/shardtest"
)

// testLogger writes to the test log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// loopbackConfig is a one-node shard on loopback with random ports.
func loopbackConfig(name string) server.Config {
	return server.Config{
		Name: name, HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", GossipAddr: "127.0.0.1:0", Storage: "memory",
	}
}

// startShard starts a real shard process in-process; it is shut down when
// the test ends.
func startShard(t testing.TB, cfg server.Config) *server.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.New(ctx, cfg, testLogger(t))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer cancel()
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := s.Shutdown(sctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return s
}

func dial(t testing.TB, addr string) roomshardv1.ShardServiceClient {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return roomshardv1.NewShardServiceClient(cc)
}

// gwStream is a gateway's side of a room stream, with a reader goroutine
// that ends with the stream.
type gwStream struct {
	stream roomshardv1.ShardService_RoomClient
	cancel context.CancelFunc
	frames chan *roomshardv1.ShardFrame
	done   chan struct{}
	err    error // set before done closes: io.EOF for a clean end
}

func newStream(t testing.TB, c roomshardv1.ShardServiceClient, frames ...*roomshardv1.GatewayFrame) *gwStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := c.Room(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	g := &gwStream{stream: stream, cancel: cancel, frames: make(chan *roomshardv1.ShardFrame, 4096), done: make(chan struct{})}
	go func() {
		defer close(g.done)
		for {
			resp, err := stream.Recv()
			if err != nil {
				g.err = err
				return
			}
			for _, f := range resp.GetFrames() {
				g.frames <- f
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-g.done
	})
	if len(frames) > 0 {
		g.send(t, frames...)
	}
	return g
}

// open opens room ns/name as gateway and waits for RoomOpened.
func open(t testing.TB, c roomshardv1.ShardServiceClient, ns, name, gateway string) *gwStream {
	t.Helper()
	g := newStream(t, c, openFrame(ns, name, gateway))
	if f := g.next(t); f.GetOpened() == nil {
		t.Fatalf("first frame = %v, want RoomOpened", f)
	}
	return g
}

func openFrame(ns, name, gateway string) *roomshardv1.GatewayFrame {
	return &roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_Open{Open: &roomshardv1.OpenRoom{
		Room: &roomshardv1.RoomRef{Namespace: ns, Name: name}, Gateway: gateway,
	}}}
}

func (g *gwStream) send(t testing.TB, frames ...*roomshardv1.GatewayFrame) {
	t.Helper()
	if err := g.stream.Send(&roomshardv1.RoomRequest{Frames: frames}); err != nil {
		t.Fatalf("Send: %v", err)
	}
}

// next returns the next frame, failing after 5 s.
func (g *gwStream) next(t testing.TB) *roomshardv1.ShardFrame {
	t.Helper()
	select {
	case f := <-g.frames:
		return f
	case <-time.After(5 * time.Second):
		select {
		case <-g.done:
			t.Fatalf("stream ended: %v", g.err)
		default:
		}
		t.Fatal("no frame within 5 s")
	}
	return nil
}

// connect connects sockets and consumes their acceptance (SetTags).
func (g *gwStream) connect(t testing.TB, ids ...string) {
	t.Helper()
	for _, id := range ids {
		g.send(t, &roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_Connected{Connected: &roomshardv1.SocketConnected{
			Socket: &roomshardv1.Socket{Id: id},
		}}})
		if f := g.next(t); f.GetTags().GetSocketId() != id {
			t.Fatalf("frame = %v, want SetTags for %s", f, id)
		}
	}
}

// end waits for the stream to end and returns its error (io.EOF when clean).
func (g *gwStream) end(t testing.TB) error {
	t.Helper()
	for {
		select {
		case <-g.frames:
		case <-g.done:
			if errors.Is(g.err, io.EOF) {
				return io.EOF
			}
			return g.err
		case <-time.After(5 * time.Second):
			t.Fatal("stream did not end within 5 s")
		}
	}
}

// quiet asserts no frame arrives for a moment.
func (g *gwStream) quiet(t testing.TB) {
	t.Helper()
	select {
	case f := <-g.frames:
		t.Fatalf("unexpected frame %v", f)
	case <-time.After(30 * time.Millisecond):
	}
}

func msg(id, text string) *roomshardv1.GatewayFrame {
	return &roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_Message{Message: &roomshardv1.SocketMessage{SocketId: id, Data: []byte(text)}}}
}

func wantDeliver(t testing.TB, f *roomshardv1.ShardFrame, ids []string, all bool, except []string, text string) {
	t.Helper()
	d := f.GetDeliver()
	if d == nil || strings.Join(d.GetSocketIds(), ",") != strings.Join(ids, ",") || d.GetAll() != all ||
		strings.Join(d.GetExcept(), ",") != strings.Join(except, ",") || string(d.GetData()) != text {
		t.Errorf("frame = %v\nwant Deliver ids=%v all=%v except=%v %q", f, ids, all, except, text)
	}
}

// eventually polls f until it returns nil, failing after 5 s.
func eventually(t testing.TB, f func() error) {
	t.Helper()
	shardtest.Eventually(t, f)
}
