package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/admin"
	"github.com/roomshard/roomshard/cluster/authtoken"
)

// refusedBody tries a handshake and returns the HTTP status and body.
func refusedBody(t *testing.T, g *Gateway, path string, header http.Header) (int, string) {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws://"+g.HTTPAddr()+path, header)
	if err == nil {
		_ = c.Close()
		return http.StatusSwitchingProtocols, ""
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return resp.StatusCode, strings.TrimSpace(b.String())
}

// TestOriginRefused: a foreign browser Origin gets 403 and no WebSocket;
// the room never hears of it, and a same-origin client still connects.
func TestOriginRefused(t *testing.T) {
	g, f := testCluster(t, nil)
	code, body := refusedBody(t, g, "/rooms/o/websocket", http.Header{"Origin": {"https://evil.example"}})
	if code != http.StatusForbidden || !strings.Contains(body, "origin not allowed") {
		t.Fatalf("foreign origin: %d %q", code, body)
	}
	c := dialWS(t, g, "/rooms/o/websocket")
	send(t, c, "echo:hi")
	if got := recv(t, c); got != "hi" {
		t.Fatalf("same-room client got %q", got)
	}
	if n := strings.Count(strings.Join(f.Events(), "\n"), "connected "); n != 1 {
		t.Fatalf("shard saw %d connects, want 1: %v", n, f.Events())
	}
}

// TestConnectTokens: with --auth-secret, missing, malformed, tampered and
// expired tokens get 401 and a token for another room 403, all before the
// upgrade; a good one (query or header) connects and names the identity.
func TestConnectTokens(t *testing.T) {
	secret := []byte("s3cret")
	g, f := testCluster(t, func(c *Config) { c.AuthSecret = secret })
	mint := func(c authtoken.Claims) string {
		tok, err := authtoken.Sign(secret, c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	exp := time.Now().Add(time.Hour).Unix()
	good := mint(authtoken.Claims{Sub: "alice", Exp: exp, Rooms: []string{"lobby"}})
	other := mint(authtoken.Claims{Sub: "mallory", Exp: exp})
	tampered := strings.SplitN(other, ".", 2)[0] + "." + strings.SplitN(good, ".", 2)[1]
	foreign, _ := authtoken.Sign([]byte("other cluster"), authtoken.Claims{Sub: "alice", Exp: exp})
	tests := []struct {
		name   string
		path   string
		header http.Header
		want   int
	}{
		{"missing", "/rooms/lobby/websocket", nil, http.StatusUnauthorized},
		{"malformed", "/rooms/lobby/websocket?token=garbage", nil, http.StatusUnauthorized},
		{"tampered", "/rooms/lobby/websocket?token=" + tampered, nil, http.StatusUnauthorized},
		{"other secret", "/rooms/lobby/websocket?token=" + foreign, nil, http.StatusUnauthorized},
		{"expired", "/rooms/lobby/websocket?token=" + mint(authtoken.Claims{Sub: "alice", Exp: time.Now().Unix() - 1}), nil, http.StatusUnauthorized},
		{"other room", "/rooms/elsewhere/websocket?token=" + good, nil, http.StatusForbidden},
		{"by id", "/ns/broadcast/objects/" + strings.Repeat("a", 64) + "/websocket?token=" + good, nil, http.StatusForbidden},
		{"query", "/rooms/lobby/websocket?token=" + good, nil, http.StatusSwitchingProtocols},
		{"bearer", "/rooms/lobby/websocket", http.Header{"Authorization": {"Bearer " + good}}, http.StatusSwitchingProtocols},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := refusedBody(t, g, tt.path, tt.header)
			if code != tt.want {
				t.Fatalf("status %d %q, want %d", code, body, tt.want)
			}
			if code != http.StatusSwitchingProtocols && (body == "" || strings.Contains(body, "\n")) {
				t.Fatalf("body %q: want one line", body)
			}
		})
	}
	waitFor(t, "the identity to reach the shard", func() error {
		for _, e := range f.Events() {
			if strings.HasPrefix(e, "identity ") && strings.HasSuffix(e, " alice") {
				return nil
			}
		}
		return fmt.Errorf("events %v", f.Events())
	})
}

// TestRateLimit: a client past its rate and burst is closed with 1008; a
// client of the same room keeps working.
func TestRateLimit(t *testing.T) {
	g, _ := testCluster(t, func(c *Config) { c.RateLimit, c.RateBurst = 5, 10 })
	calm := dialWS(t, g, "/rooms/rl/websocket")
	flood := dialWS(t, g, "/rooms/rl/websocket")
	for i := range 40 {
		if err := flood.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, "n%d", i)); err != nil {
			break // already closed
		}
	}
	if ce := recvClose(t, flood); ce.Code != websocket.ClosePolicyViolation || ce.Text != reasonRateLimit {
		t.Fatalf("flooder closed with %d %q", ce.Code, ce.Text)
	}
	send(t, calm, "echo:still here")
	if got := recv(t, calm); got != "still here" {
		t.Fatalf("calm client got %q", got)
	}
}

// TestConnectionLimits: per-IP (429), per-room and per-gateway (503)
// limits refuse before the upgrade, and a freed slot is reusable.
func TestConnectionLimits(t *testing.T) {
	t.Run("per room", func(t *testing.T) {
		g, _ := testCluster(t, func(c *Config) { c.MaxConnectionsPerRoom = 2 })
		a := dialWS(t, g, "/rooms/full/websocket")
		dialWS(t, g, "/rooms/full/websocket")
		if code := dialStatus(t, g, "/rooms/full/websocket", nil); code != http.StatusServiceUnavailable {
			t.Fatalf("third in room: %d", code)
		}
		dialWS(t, g, "/rooms/other/websocket")
		_ = a.Close()
		waitFor(t, "the slot to free", func() error {
			if code := dialStatus(t, g, "/rooms/full/websocket", nil); code != http.StatusSwitchingProtocols {
				return fmt.Errorf("status %d", code)
			}
			return nil
		})
	})
	t.Run("per ip", func(t *testing.T) {
		g, _ := testCluster(t, func(c *Config) { c.MaxConnectionsPerIP = 2 })
		dialWS(t, g, "/rooms/a/websocket")
		dialWS(t, g, "/rooms/b/websocket")
		if code := dialStatus(t, g, "/rooms/c/websocket", nil); code != http.StatusTooManyRequests {
			t.Fatalf("third from one IP: %d", code)
		}
	})
	t.Run("per gateway", func(t *testing.T) {
		g, _ := testCluster(t, func(c *Config) { c.MaxConnections = 1 })
		dialWS(t, g, "/rooms/a/websocket")
		if code := dialStatus(t, g, "/rooms/b/websocket", nil); code != http.StatusServiceUnavailable {
			t.Fatalf("second on gateway: %d", code)
		}
	})
}

// TestGatewayAdminToken: --admin-token guards the gateway's AdminService
// (Unauthenticated without it) while health stays open.
func TestGatewayAdminToken(t *testing.T) {
	g, _ := testCluster(t, func(c *Config) { c.AdminToken = "tok" })
	call := func(opts ...grpc.DialOption) error {
		cc, err := grpc.NewClient(g.GRPCAddr(), append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = roomshardv1.NewAdminServiceClient(cc).ListMembers(ctx, &roomshardv1.ListMembersRequest{})
		return err
	}
	if err := call(); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("no token: %v", err)
	}
	if err := call(grpc.WithPerRPCCredentials(admin.BearerToken("wrong"))); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("wrong token: %v", err)
	}
	if err := call(grpc.WithPerRPCCredentials(admin.BearerToken("tok"))); err != nil {
		t.Fatalf("right token: %v", err)
	}
}

// TestShardRoomLimit: a shard refusing a new room with ResourceExhausted
// (--max-rooms) gets the room's sockets closed with 1013 at once, not
// after the open timeout.
func TestShardRoomLimit(t *testing.T) {
	g, f := testCluster(t, func(c *Config) { c.RoomOpenTimeout = time.Minute })
	f.full.Store(true)
	c := dialWS(t, g, "/rooms/nope/websocket")
	start := time.Now()
	if ce := recvClose(t, c); ce.Code != websocket.CloseTryAgainLater {
		t.Fatalf("closed with %d %q, want 1013", ce.Code, ce.Text)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("closed after %s; want at once", d)
	}
}
