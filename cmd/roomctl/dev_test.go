package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// lockedBuffer is written by runDev's goroutine and read by the test.
type lockedBuffer struct {
	// protects b
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// printedWebSocketAddr finds the gateway address in dev's printed URLs.
var printedWebSocketAddr = regexp.MustCompile(`ws://([0-9.]+:[0-9]+)/websocket`)

// printedAdminAddr finds the gateway's admin address in dev's printed URLs.
var printedAdminAddr = regexp.MustCompile(`admin \(gRPC\)\s+([0-9.]+:[0-9]+)`)

// startDev runs `roomctl dev` with extra args until the test ends, and
// returns the gateway's HTTP and admin addresses once it is ready.
func startDev(t *testing.T, extra ...string) (httpAddr, adminAddr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		// Port 0 everywhere: dev prints the addresses it got, so no other
		// test process can take a port between picking and binding it.
		args := append([]string{"--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--data", t.TempDir()}, extra...)
		done <- runDev(ctx, args, &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("roomctl dev stopped with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("roomctl dev did not stop within 30 s of its context ending")
		}
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for httpAddr == "" {
		out := stdout.String()
		if m, a := printedWebSocketAddr.FindStringSubmatch(out), printedAdminAddr.FindStringSubmatch(out); m != nil && a != nil {
			httpAddr, adminAddr = m[1], a[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("dev printed no WebSocket or admin URL")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway not ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return httpAddr, adminAddr
}

// TestDevServesSeedTexts is the README's first step: `roomctl dev`, then a
// WebSocket client on /websocket gets the seed's broadcast texts.
func TestDevServesSeedTexts(t *testing.T) {
	httpAddr, _ := startDev(t)
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+httpAddr+"/websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, first, err := conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^\[Durable Object\] message: hi, from: ([0-9a-f-]{36}), to: the initiating client\. Total connections: 1$`).FindSubmatch(first)
	if m == nil {
		t.Fatalf("first reply = %q", first)
	}
	_, second, err := conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("[Durable Object] message: hi, from: %s, to: all clients. Total connections: 1", m[1]); string(second) != want {
		t.Errorf("second reply = %q, want %q", second, want)
	}

	resp, err := http.Get("http://" + httpAddr + "/getCurrentConnections")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	if got := strings.TrimSpace(body.String()); got != "There is 1 WebSocket client connected to this Durable Object instance." {
		t.Errorf("/getCurrentConnections = %q", got)
	}
}

// TestDevDrainStopsTheShard: `roomctl drain` on a dev cluster hands the
// shard's rooms to the others and stops it, as a drained shard process
// exits, while its clients stay connected and keep being served.
func TestDevDrainStopsTheShard(t *testing.T) {
	httpAddr, adminAddr := startDev(t, "--shards", "2")
	cc, err := grpc.NewClient(adminAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	admin := roomshardv1.NewAdminServiceClient(cc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	conn, _, err := websocket.DefaultDialer.Dial("ws://"+httpAddr+"/websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	roundTrip := func(text string) {
		t.Helper()
		if err := conn.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for range 2 { // to the sender, then to all
			if _, got, err := conn.ReadMessage(); err != nil || !strings.Contains(string(got), "message: "+text+",") {
				t.Fatalf("reply to %q = %q, %v", text, got, err)
			}
		}
	}
	roundTrip("before")
	loc, err := admin.LocateRoom(ctx, &roomshardv1.LocateRoomRequest{Namespace: "broadcast", Name: "foo"})
	if err != nil {
		t.Fatal(err)
	}
	owner := loc.GetOwner()
	if _, err := admin.DrainShard(ctx, &roomshardv1.DrainShardRequest{Shard: owner}); err != nil {
		t.Fatalf("DrainShard %s: %v", owner, err)
	}
	for {
		members, err := admin.ListMembers(ctx, &roomshardv1.ListMembersRequest{})
		if err != nil {
			t.Fatal(err)
		}
		gone := true
		for _, m := range members.GetMembers() {
			gone = gone && m.GetName() != owner
		}
		if gone {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("drained shard %s still a member: %v", owner, members.GetMembers())
		}
		time.Sleep(50 * time.Millisecond)
	}
	roundTrip("after")
	loc, err = admin.LocateRoom(ctx, &roomshardv1.LocateRoomRequest{Namespace: "broadcast", Name: "foo"})
	if err != nil || loc.GetOwner() == owner {
		t.Fatalf("room still located on the drained shard: %v, %v", loc, err)
	}
}
