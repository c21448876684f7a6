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

// TestDevServesSeedTexts is the README's first step: `roomctl dev`, then a
// WebSocket client on /websocket gets the seed's broadcast texts.
func TestDevServesSeedTexts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		// Port 0 everywhere: dev prints the addresses it got, so no other
		// test process can take a port between picking and binding it.
		done <- runDev(ctx, []string{"--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--data", t.TempDir()}, &stdout, &stderr)
	}()
	defer func() {
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
	}()

	deadline := time.Now().Add(30 * time.Second)
	var httpAddr string
	for httpAddr == "" {
		if m := printedWebSocketAddr.FindStringSubmatch(stdout.String()); m != nil {
			httpAddr = m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("dev printed no WebSocket URL")
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
