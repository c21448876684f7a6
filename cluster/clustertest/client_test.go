package clustertest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// dial opens a WebSocket to path on a gateway's HTTP address.
func dial(t testing.TB, httpAddr, path string) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws://"+httpAddr+path, nil)
	if err != nil {
		status := ""
		if resp != nil {
			status = resp.Status
		}
		t.Fatalf("dialing %s%s: %v %s", httpAddr, path, err, status)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// send writes one text message.
func send(t testing.TB, c *websocket.Conn, text string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		t.Fatalf("sending %q: %v", text, err)
	}
}

// read returns the next text message, failing after 10 s.
func read(t testing.TB, c *websocket.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("reading: %v", err)
	}
	return string(data)
}

// get fetches a URL and returns status and body.
func get(t testing.TB, url string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// countText is SPEC §4's connection count text.
func countText(n int) string {
	if n == 1 {
		return "There is 1 WebSocket client connected to this Durable Object instance."
	}
	return fmt.Sprintf("There are %d WebSocket clients connected to this Durable Object instance.", n)
}

// connections reads a room's count from a gateway.
func connections(t testing.TB, httpAddr, path string) string {
	t.Helper()
	code, body := get(t, "http://"+httpAddr+path, nil)
	if code != http.StatusOK {
		return fmt.Sprintf("HTTP %d: %s", code, body)
	}
	return strings.TrimSpace(body)
}

// adminClient dials a node's AdminService.
func adminClient(t testing.TB, grpcAddr string) roomshardv1.AdminServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return roomshardv1.NewAdminServiceClient(conn)
}

func callCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
