package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

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

// shardClient is a gateway's client of a shard. Its room streams go over
// Link, as a gateway's do (one Link per stream, stream id 1), or over the
// one-room Room RPC when room is set.
type shardClient struct {
	roomshardv1.ShardServiceClient
	room bool
}

// transports names both ways to carry a room stream, for tests run on each.
var transports = []string{"link", "room"}

func dial(t testing.TB, addr string) *shardClient { return dialVia(t, addr, "link") }

func dialVia(t testing.TB, addr, via string) *shardClient {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return &shardClient{ShardServiceClient: roomshardv1.NewShardServiceClient(cc), room: via == "room"}
}

// gwStream is a gateway's side of a room stream, with a reader goroutine
// that ends with the stream.
type gwStream struct {
	sendFrames func([]*roomshardv1.GatewayFrame) error
	closeSend  func() error
	cancel     context.CancelFunc
	frames     chan *roomshardv1.ShardFrame
	done       chan struct{}
	err        error // set before done closes: io.EOF for a clean end
}

func newStream(t testing.TB, c *shardClient, frames ...*roomshardv1.GatewayFrame) *gwStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g := &gwStream{cancel: cancel, frames: make(chan *roomshardv1.ShardFrame, 4096), done: make(chan struct{})}
	var recv func() ([]*roomshardv1.ShardFrame, error)
	if c.room {
		stream, err := c.Room(ctx)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		g.sendFrames = func(fs []*roomshardv1.GatewayFrame) error {
			return stream.Send(&roomshardv1.RoomRequest{Frames: fs})
		}
		g.closeSend = stream.CloseSend
		recv = func() ([]*roomshardv1.ShardFrame, error) {
			resp, err := stream.Recv()
			return resp.GetFrames(), err
		}
	} else {
		link, err := c.Link(ctx)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		var sendMu sync.Mutex // Send and CloseSend-as-a-frame come from two goroutines in some tests
		send := func(part *roomshardv1.LinkGatewayFrames) error {
			sendMu.Lock()
			defer sendMu.Unlock()
			part.Stream = 1
			return link.Send(&roomshardv1.LinkRequest{Streams: []*roomshardv1.LinkGatewayFrames{part}})
		}
		g.sendFrames = func(fs []*roomshardv1.GatewayFrame) error {
			return send(&roomshardv1.LinkGatewayFrames{Frames: fs})
		}
		g.closeSend = func() error { return send(&roomshardv1.LinkGatewayFrames{HalfClose: true}) }
		recv = linkReceiver(link)
	}
	go func() {
		defer close(g.done)
		for {
			fs, err := recv()
			for _, f := range fs {
				g.frames <- f
			}
			if err != nil {
				g.err = err
				return
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

// linkReceiver reads the one room stream of a Link: its frames, then its
// end as Room would end (io.EOF for OK, else the status).
func linkReceiver(link roomshardv1.ShardService_LinkClient) func() ([]*roomshardv1.ShardFrame, error) {
	return func() ([]*roomshardv1.ShardFrame, error) {
		resp, err := link.Recv()
		if err != nil {
			return nil, err
		}
		var fs []*roomshardv1.ShardFrame
		for _, part := range resp.GetStreams() {
			if part.GetStream() != 1 {
				return fs, fmt.Errorf("frames for stream %d on a Link with only stream 1", part.GetStream())
			}
			fs = append(fs, part.GetFrames()...)
			if end := part.GetEnd(); end != nil {
				if codes.Code(end.GetCode()) == codes.OK {
					return fs, io.EOF
				}
				return fs, status.Error(codes.Code(end.GetCode()), end.GetMessage())
			}
		}
		return fs, nil
	}
}

// open opens room ns/name as gateway and waits for RoomOpened.
func open(t testing.TB, c *shardClient, ns, name, gateway string) *gwStream {
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
	if err := g.sendFrames(frames); err != nil {
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
