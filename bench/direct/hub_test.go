package direct

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// startServer runs a hub on a loopback port for the test's lifetime.
func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	srv, err := Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return srv
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func read(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

func write(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// waitCount polls the connections route until the room has n members.
func waitCount(t *testing.T, srv *Server, path string, n int) {
	t.Helper()
	want := countText(n)
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get("http://" + srv.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %q, want %q", path, b, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestEchoText(t *testing.T) {
	srv := startServer(t, Config{})
	c := dial(t, srv.URL()+"/ns/echo/rooms/r1/websocket")
	for _, msg := range []string{"hello", "", strings.Repeat("x", 200), strings.Repeat("y", 70000)} {
		write(t, c, msg)
		if got, want := read(t, c), "[Durable Object]: "+msg; got != want {
			t.Fatalf("echo of %d bytes: got %.60q, want %.60q", len(msg), got, want)
		}
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestBroadcastTextsAndOrder(t *testing.T) {
	srv := startServer(t, Config{})
	url := srv.URL() + "/rooms/lobby/websocket" // default namespace: broadcast
	a, b, c := dial(t, url), dial(t, url), dial(t, url)
	waitCount(t, srv, "/rooms/lobby/connections", 3)

	write(t, a, "hi")
	first := read(t, a)
	m := regexp.MustCompile(`^\[Durable Object\] message: hi, from: (.+), to: the initiating client\. Total connections: 3$`).FindStringSubmatch(first)
	if m == nil || !uuidRE.MatchString(m[1]) {
		t.Fatalf("sender's first text = %q", first)
	}
	id := m[1]
	prefix := "[Durable Object] message: hi, from: " + id + ", to: "
	wantSender := []string{prefix + "all clients. Total connections: 3"}
	wantOther := []string{
		prefix + "all clients except the initiating client. Total connections: 3",
		prefix + "all clients. Total connections: 3",
	}
	for _, w := range wantSender {
		if got := read(t, a); got != w {
			t.Errorf("sender got %q, want %q", got, w)
		}
	}
	for _, conn := range []*websocket.Conn{b, c} {
		for _, w := range wantOther {
			if got := read(t, conn); got != w {
				t.Errorf("other got %q, want %q", got, w)
			}
		}
	}

	// A second sender has another id.
	write(t, b, "yo")
	if got := read(t, b); !strings.HasPrefix(got, "[Durable Object] message: yo, from: ") || strings.Contains(got, id) {
		t.Errorf("second sender text %q", got)
	}
}

func TestBroadcastCloseReply(t *testing.T) {
	srv := startServer(t, Config{})
	c := dial(t, srv.URL()+"/ns/broadcast/rooms/bye/websocket")
	msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "leaving")
	if err := c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ReadMessage()
	ce, ok := err.(*websocket.CloseError)
	if !ok || ce.Code != websocket.CloseNormalClosure || ce.Text != "Durable Object is closing WebSocket" {
		t.Fatalf("close reply = %v, want 1000 %q", err, closingReason)
	}
	waitCount(t, srv, "/ns/broadcast/rooms/bye/connections", 0)
}

func TestPlainRelaysVerbatim(t *testing.T) {
	srv := startServer(t, Config{})
	url := srv.URL() + "/ns/plain/rooms/p/websocket"
	a, b := dial(t, url), dial(t, url)
	waitCount(t, srv, "/ns/plain/rooms/p/connections", 2)
	write(t, a, "raw text")
	for _, c := range []*websocket.Conn{a, b} {
		if got := read(t, c); got != "raw text" {
			t.Errorf("got %q", got)
		}
	}
}

func TestPingAnsweredWithPong(t *testing.T) {
	srv := startServer(t, Config{})
	c := dial(t, srv.URL()+"/ns/echo/rooms/ping/websocket")
	pong := make(chan string, 1)
	c.SetPongHandler(func(s string) error { pong <- s; return nil })
	if err := c.WriteControl(websocket.PingMessage, []byte("abc"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	write(t, c, "after")
	if got := read(t, c); got != "[Durable Object]: after" {
		t.Fatalf("got %q", got)
	}
	select {
	case s := <-pong:
		if s != "abc" {
			t.Errorf("pong %q", s)
		}
	default:
		t.Error("no pong before the echo")
	}
}

func TestSlowConsumerClosedWith1013(t *testing.T) {
	srv := startServer(t, Config{QueueBytes: 1})
	c := dial(t, srv.URL()+"/ns/echo/rooms/slow/websocket")
	write(t, c, "too big for the queue")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseTryAgainLater) {
		t.Fatalf("err = %v, want close 1013", err)
	}
}

func TestHTTPErrors(t *testing.T) {
	srv := startServer(t, Config{})
	base := "http://" + srv.Addr().String()
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/ns/nope/rooms/a/websocket", http.StatusNotFound},
		{"GET", "/ns/echo/rooms/a/websocket", http.StatusUpgradeRequired},
		{"POST", "/rooms/a/websocket", http.StatusBadRequest},
		{"GET", "/rooms/" + strings.Repeat("n", 257) + "/websocket", http.StatusBadRequest},
		{"GET", "/rooms/a/connections", http.StatusOK},
		{"GET", "/getCurrentConnections", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %.30s", tt.method, tt.path), func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestCountText(t *testing.T) {
	if got := countText(1); got != "There is 1 WebSocket client connected to this Durable Object instance." {
		t.Error(got)
	}
	if got := countText(0); got != "There are 0 WebSocket clients connected to this Durable Object instance." {
		t.Error(got)
	}
}

func TestDropAllResetsConnections(t *testing.T) {
	srv := startServer(t, Config{})
	c := dial(t, srv.URL()+"/ns/broadcast/rooms/crash/websocket")
	waitCount(t, srv, "/ns/broadcast/rooms/crash/connections", 1)
	if n := srv.Hub().DropAll(); n != 1 {
		t.Fatalf("dropped %d", n)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ReadMessage()
	if _, isClose := err.(*websocket.CloseError); err == nil || isClose {
		t.Fatalf("err = %v, want a reset without close frame", err)
	}
	waitCount(t, srv, "/ns/broadcast/rooms/crash/connections", 0)
}

func TestFrameHeaderLengths(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536} {
		f := frame(opText, make([]byte, n))
		hdr := len(f) - n
		want := map[bool]int{true: 2}[n < 126]
		if n >= 126 {
			want = 4
		}
		if n > 65535 {
			want = 10
		}
		if hdr != want || f[0] != 0x81 {
			t.Errorf("len %d: header %d bytes (first byte %#x), want %d", n, hdr, f[0], want)
		}
	}
}
