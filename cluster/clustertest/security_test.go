package clustertest_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/admin"
	"github.com/roomshard/roomshard/cluster/authtoken"
	"github.com/roomshard/roomshard/cluster/clustertest"
	"github.com/roomshard/roomshard/cluster/ops/opstest"
	"github.com/roomshard/roomshard/shard/server"
)

// listMembers calls ListMembers on addr with opts and returns the error.
func listMembers(t *testing.T, addr string, opts ...grpc.DialOption) (*roomshardv1.ListMembersResponse, error) {
	t.Helper()
	cc, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return roomshardv1.NewAdminServiceClient(cc).ListMembers(ctx, &roomshardv1.ListMembersRequest{})
}

// echoOnce checks a gateway still routes: an echo room answers.
func echoOnce(t *testing.T, gw *clustertest.Proc, room string) {
	t.Helper()
	c := dial(t, gw.HTTP, "/ns/echo/rooms/"+room+"/websocket")
	send(t, c, "ping")
	if got := read(t, c); got != "[Durable Object]: ping" {
		t.Fatalf("echo: %q", got)
	}
	_ = c.Close()
}

// TestMutualTLS: with --tls-cert/--tls-key/--tls-ca on every node, rooms
// work (gateway→shard over mutual TLS), while a plaintext client and a TLS
// client without a certificate are refused by the shard and the gateway.
func TestMutualTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test; skipped with -short")
	}
	files := opstest.WriteTLS(t)
	args := []string{"--tls-cert", files.Cert, "--tls-key", files.Key, "--tls-ca", files.CA}
	c := clustertest.StartCluster(t, bins, clustertest.Options{Shards: 1, Gateways: 1, ShardArgs: args, GatewayArgs: args})
	echoOnce(t, c.Gateways[0], "tls")

	withCert, err := files.DialOption("")
	if err != nil {
		t.Fatal(err)
	}
	noCert := serverOnlyTLS(t, files.CA)
	for _, p := range []*clustertest.Proc{c.Shards[0], c.Gateways[0]} {
		if _, err := listMembers(t, p.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials())); status.Code(err) != codes.Unavailable {
			t.Errorf("%s: plaintext client: %v, want Unavailable", p.Name, err)
		}
		if _, err := listMembers(t, p.GRPC, noCert); err == nil {
			t.Errorf("%s: TLS client without a certificate was served", p.Name)
		}
		if resp, err := listMembers(t, p.GRPC, withCert); err != nil || len(resp.GetMembers()) != 2 {
			t.Errorf("%s: mutual TLS client: %v %v", p.Name, resp, err)
		}
	}
	echoOnce(t, c.Gateways[0], "tls-after") // the refusals affected nothing
}

// serverOnlyTLS verifies the server against ca but has no certificate of
// its own to present.
func serverOnlyTLS(t *testing.T, ca string) grpc.DialOption {
	t.Helper()
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}))
}

// TestAdminTokenAcrossNodes: with --admin-token on every node, calls need
// it (Unauthenticated otherwise) and a gateway's fan-out to the shards,
// which carries it, works.
func TestAdminTokenAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test; skipped with -short")
	}
	args := []string{"--admin-token", "t0ken"}
	c := clustertest.StartCluster(t, bins, clustertest.Options{Shards: 2, Gateways: 1, ShardArgs: args, GatewayArgs: args})
	gw := c.Gateways[0]
	plain := grpc.WithTransportCredentials(insecure.NewCredentials())
	for _, p := range []*clustertest.Proc{c.Shards[0], gw} {
		if _, err := listMembers(t, p.GRPC, plain); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s without token: %v", p.Name, err)
		}
		if _, err := listMembers(t, p.GRPC, plain, grpc.WithPerRPCCredentials(admin.BearerToken("wrong"))); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s wrong token: %v", p.Name, err)
		}
	}
	c1 := dial(t, gw.HTTP, "/ns/echo/rooms/admin-a/websocket")
	c2 := dial(t, gw.HTTP, "/ns/echo/rooms/admin-b/websocket")
	send(t, c1, "x")
	send(t, c2, "x")
	read(t, c1)
	read(t, c2)
	cc, err := grpc.NewClient(gw.GRPC, plain, grpc.WithPerRPCCredentials(admin.BearerToken("t0ken")))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	rooms, err := roomshardv1.NewAdminServiceClient(cc).ListRooms(callCtx(t), &roomshardv1.ListRoomsRequest{})
	if err != nil || len(rooms.GetRooms()) < 2 {
		t.Fatalf("ListRooms through the gateway (forwarded to both shards): %v %v", rooms, err)
	}
}

// TestConnectTokenProcess: a gateway with --auth-secret refuses a missing
// or expired token with 401 before upgrading and admits a valid one.
func TestConnectTokenProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test; skipped with -short")
	}
	c := clustertest.StartCluster(t, bins, clustertest.Options{Shards: 1, Gateways: 1,
		GatewayArgs: []string{"--auth-secret", "shh"}})
	base := "ws://" + c.Gateways[0].HTTP + "/ns/echo/rooms/auth/websocket"
	expired, _ := authtoken.Sign([]byte("shh"), authtoken.Claims{Sub: "a", Exp: time.Now().Unix() - 10})
	good, _ := authtoken.Sign([]byte("shh"), authtoken.Claims{Sub: "a", Exp: time.Now().Add(time.Minute).Unix()})
	for _, url := range []string{base, base + "?token=" + expired, base + "?token=" + good + "x"} {
		_, resp, err := websocket.DefaultDialer.Dial(url, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %v %v, want 401", url, resp, err)
		}
	}
	conn, _, err := websocket.DefaultDialer.Dial(base+"?token="+good, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	send(t, conn, "hi")
	if got := read(t, conn); got != "[Durable Object]: hi" {
		t.Fatalf("got %q", got)
	}
}

// TestGossipKey: a node with the wrong gossip key, or none, is not
// admitted to an encrypted cluster, and the cluster keeps working.
func TestGossipKey(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test; skipped with -short")
	}
	key := randomKey(t)
	c := clustertest.StartCluster(t, bins, clustertest.Options{Shards: 1, Gateways: 1,
		ShardArgs: []string{"--gossip-key", key}, GatewayArgs: []string{"--gossip-key", key}})
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i, k := range []string{randomKey(t), ""} {
		cfg := server.Config{Name: fmt.Sprintf("intruder%d", i), HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0",
			GossipAddr: "127.0.0.1:0", Storage: "memory", Join: []string{c.SeedGossip()}}
		if k != "" {
			cfg.GossipKey, _ = base64.StdEncoding.DecodeString(k)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		s, err := server.New(ctx, cfg, quiet)
		cancel()
		if err != nil {
			continue // refused at join: not admitted
		}
		t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	}
	time.Sleep(2 * time.Second) // several gossip rounds: an admitted node would show up
	resp, err := listMembers(t, c.Shards[0].GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range resp.GetMembers() {
		if strings.HasPrefix(m.GetName(), "intruder") {
			t.Errorf("%s was admitted with a wrong or missing gossip key", m.GetName())
		}
	}
	if len(resp.GetMembers()) != 2 {
		t.Errorf("members %v, want the 2 keyed nodes", resp.GetMembers())
	}
	echoOnce(t, c.Gateways[0], "gossip")
}

func randomKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}
