package gateway

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/membership"
)

// waitFor polls cond until it returns nil, failing the test after 30s.
func waitFor(t testing.TB, what string, cond func() error) {
	t.Helper()
	// Generous: it only matters when cond never holds, and filling TCP
	// buffers under -race on two loaded cores can take more than seconds.
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testConfig is a gateway on loopback with random ports and short timers.
//
// Each test cluster gossips under a key of its own. Tests run in parallel
// and their memberlist ports are recycled: without it, a node of a test
// that ended can still reach a port now held by another test's gateway,
// merge the two clusters and move that test's rooms to its shard.
func testConfig(name string) Config {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return Config{
		Name:                name,
		GossipKey:           key,
		HTTPAddr:            "127.0.0.1:0",
		GRPCAddr:            "127.0.0.1:0",
		GossipAddr:          "127.0.0.1:0",
		CloseWait:           300 * time.Millisecond,
		RoomOpenTimeout:     5 * time.Second,
		GossipProbeInterval: 200 * time.Millisecond,
	}
}

// newTestGateway starts a gateway, shut down when the test ends.
func newTestGateway(t testing.TB, mutate func(*Config)) *Gateway {
	t.Helper()
	cfg := testConfig("gw-" + t.Name())
	if mutate != nil {
		mutate(&cfg)
	}
	g, err := New(context.Background(), cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := g.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return g
}

// joinShard makes f a shard member of g's cluster (real memberlist on
// loopback) binding the built-in test namespaces, and waits until g's ring
// has it.
func joinShard(t testing.TB, g *Gateway, f *fakeShard) {
	t.Helper()
	m, err := membership.Start(context.Background(), membership.Config{
		Name:          f.name,
		Role:          roomshardv1.Role_ROLE_SHARD,
		BindAddr:      "127.0.0.1:0",
		Join:          []string{g.GossipAddr()},
		GossipKey:     g.cfg.GossipKey,
		GRPCAddr:      f.addr,
		Namespaces:    []string{"broadcast=broadcast", "echo=echo"},
		ProbeInterval: 200 * time.Millisecond,
		JoinRetry:     50 * time.Millisecond,
		Logger:        quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = m.Leave(time.Second)
		_ = m.Shutdown()
	})
	waitFor(t, "shard on the gateway's ring", func() error {
		if !g.members.Ring().Has(f.name) {
			return fmt.Errorf("ring has %v", g.members.Ring().Nodes())
		}
		return nil
	})
}

// testCluster is a gateway with one fake shard.
func testCluster(t testing.TB, mutate func(*Config)) (*Gateway, *fakeShard) {
	t.Helper()
	g := newTestGateway(t, mutate)
	f := startFakeShard(t, "shard-"+t.Name())
	joinShard(t, g, f)
	return g, f
}

// dialWS opens a client WebSocket to path on g.
func dialWS(t testing.TB, g *Gateway, path string) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws://"+g.HTTPAddr()+path, nil)
	if err != nil {
		t.Fatalf("dial %s: %v (response %v)", path, err, resp)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// dialStatus tries a WebSocket handshake and returns the HTTP status.
func dialStatus(t *testing.T, g *Gateway, path string, header http.Header) int {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws://"+g.HTTPAddr()+path, header)
	if err == nil {
		_ = c.Close()
		return http.StatusSwitchingProtocols
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	return resp.StatusCode
}

// send writes a text message.
func send(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatalf("send %.40q: %v", msg, err)
	}
}

// recv reads the next text message within 5s.
func recv(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("recv: %v", err)
	}
	return string(data)
}

// recvClose reads until the connection closes and returns the close error.
func recvClose(t *testing.T, c *websocket.Conn) *websocket.CloseError {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		ce, ok := err.(*websocket.CloseError)
		if !ok {
			t.Fatalf("connection ended without a close frame: %v", err)
		}
		return ce
	}
}

// lastConnected is the session id the fake shard saw connect last.
func lastConnected(t *testing.T, f *fakeShard) string {
	t.Helper()
	var id string
	waitFor(t, "a socket to connect", func() error {
		for _, e := range f.Events() {
			if rest, ok := strings.CutPrefix(e, "connected "); ok {
				id = rest
			}
		}
		if id == "" {
			return fmt.Errorf("events %v", f.Events())
		}
		return nil
	})
	return id
}
