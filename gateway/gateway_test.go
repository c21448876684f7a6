package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/roomshard/roomshard/cluster/ring"
	"github.com/roomshard/roomshard/cluster/roomid"
)

func TestFanoutOncePerStream(t *testing.T) {
	t.Parallel()
	g, f := testCluster(t, nil)
	a := dialWS(t, g, "/rooms/lobby/websocket")
	b := dialWS(t, g, "/rooms/lobby/ws")
	waitFor(t, "both sockets connected", func() error { return f.socketCount(2) })

	send(t, a, "all:hello")
	if got := recv(t, a); got != "hello" {
		t.Errorf("a got %q", got)
	}
	if got := recv(t, b); got != "hello" {
		t.Errorf("b got %q", got)
	}
	if n := f.opens.Load(); n != 1 {
		t.Errorf("room streams opened = %d, want 1 for two sockets", n)
	}

	// others: b gets it, a does not (its next message is the echo).
	send(t, a, "others:not for a")
	if got := recv(t, b); got != "not for a" {
		t.Errorf("b got %q", got)
	}
	send(t, a, "echo:for a")
	if got := recv(t, a); got != "for a" {
		t.Errorf("a got %q, want its echo (except list ignored?)", got)
	}

	rec := get(t, g, "/rooms/lobby/connections")
	if want := "There are 2 WebSocket clients connected to this Durable Object instance."; rec != want {
		t.Errorf("count = %q, want %q", rec, want)
	}
}

func TestCloseSocketCode(t *testing.T) {
	t.Parallel()
	g, _ := testCluster(t, nil)
	c := dialWS(t, g, "/websocket")
	send(t, c, "close:4001:go away")
	ce := recvClose(t, c)
	if ce.Code != 4001 || ce.Text != "go away" {
		t.Errorf("close = %d %q, want 4001 go away", ce.Code, ce.Text)
	}
}

func TestClientCloseGetsRoomCode(t *testing.T) {
	t.Parallel()
	g, f := testCluster(t, nil)
	f.closeReply.Store(true)
	c := dialWS(t, g, "/rooms/r/websocket")
	id := lastConnected(t, f)
	_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1001, "bye"), time.Now().Add(time.Second))
	ce := recvClose(t, c)
	if ce.Code != 1000 || ce.Text != "Durable Object is closing WebSocket" {
		t.Errorf("close = %d %q, want the room's 1000", ce.Code, ce.Text)
	}
	if !f.has(fmt.Sprintf("closed %s 1001", id)) {
		t.Errorf("shard did not hear the client's close: %v", f.Events())
	}
}

func TestClientCloseEchoedWithoutRoomCode(t *testing.T) {
	t.Parallel()
	g, _ := testCluster(t, nil)
	c := dialWS(t, g, "/rooms/r/websocket")
	_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4002, "mine"), time.Now().Add(time.Second))
	ce := recvClose(t, c)
	if ce.Code != 4002 || ce.Text != "mine" {
		t.Errorf("close = %d %q, want the echo 4002 mine", ce.Code, ce.Text)
	}
}

func TestAutoResponseAtGateway(t *testing.T) {
	t.Parallel()
	g, f := testCluster(t, nil)
	c := dialWS(t, g, "/rooms/hib/websocket")
	id := lastConnected(t, f)
	send(t, c, "auto:ping:pong")
	send(t, c, "echo:set") // the SetAutoResponse precedes this echo on the stream
	if got := recv(t, c); got != "set" {
		t.Fatalf("got %q", got)
	}
	send(t, c, "ping")
	if got := recv(t, c); got != "pong" {
		t.Errorf("auto-response = %q, want pong", got)
	}
	waitFor(t, "AutoResponded at the shard", func() error {
		if !f.has("autoresponded " + id) {
			return fmt.Errorf("events %v", f.Events())
		}
		return nil
	})
	if f.has("message " + id + " ping") {
		t.Errorf("the auto-response request reached the shard: %v", f.Events())
	}
}

func TestBufferedAcrossStreamBreak(t *testing.T) {
	t.Parallel()
	g, f := testCluster(t, nil)
	c := dialWS(t, g, "/rooms/fail/websocket")
	id := lastConnected(t, f)
	send(t, c, "tag:t1")
	send(t, c, "attach:a1")
	f.refuse.Store(true) // the shard's replacement is not up yet
	send(t, c, "break")
	waitFor(t, "the gateway to notice the break and retry", func() error {
		if f.refused.Load() < 1 {
			return fmt.Errorf("refused %d reopens", f.refused.Load())
		}
		return nil
	})
	for i := range 5 {
		send(t, c, fmt.Sprintf("m%d", i))
	}
	f.refuse.Store(false)
	waitFor(t, "the room to re-open", func() error {
		if f.opens.Load() < 2 {
			return fmt.Errorf("opens %d", f.opens.Load())
		}
		return nil
	})
	waitFor(t, "buffered frames delivered", func() error { return f.hasMessages(id, "m0", "m1", "m2", "m3", "m4") })
	reopen := fmt.Sprintf("open fail %s[t1]\"a1\"true", id)
	if !f.has(reopen) {
		t.Errorf("re-open did not re-announce the socket with tags and attachment; want %q in %v", reopen, f.Events())
	}
	send(t, c, "echo:back")
	if got := recv(t, c); got != "back" {
		t.Errorf("after re-open got %q", got)
	}
	if n := testutil.ToFloat64(g.metrics.streamReopens); n < 1 {
		t.Errorf("stream re-opens metric = %v", n)
	}
}

func TestRoomMovingReopens(t *testing.T) {
	t.Parallel()
	g, f := testCluster(t, nil)
	c := dialWS(t, g, "/rooms/mv/websocket")
	send(t, c, "moving")
	waitFor(t, "re-open after RoomMoving", func() error {
		if f.opens.Load() < 2 {
			return fmt.Errorf("opens %d", f.opens.Load())
		}
		return nil
	})
	send(t, c, "echo:still here")
	if got := recv(t, c); got != "still here" {
		t.Errorf("got %q", got)
	}
}

func TestRedirectFollowed(t *testing.T) {
	t.Parallel()
	g, a := testCluster(t, nil)
	b := startFakeShard(t, "shard-b") // not a member: reachable only by redirect
	a.redirectTo.Store(&b.addr)
	c := dialWS(t, g, "/rooms/elsewhere/websocket")
	send(t, c, "echo:via b")
	if got := recv(t, c); got != "via b" {
		t.Errorf("got %q", got)
	}
	if !a.has("redirect") || b.opens.Load() != 1 {
		t.Errorf("a events %v, b opens %d", a.Events(), b.opens.Load())
	}
	if got := get(t, g, "/rooms/elsewhere/connections"); got != "There is 1 WebSocket client connected to this Durable Object instance." {
		t.Errorf("count via redirect = %q", got)
	}
	if n := testutil.ToFloat64(g.metrics.redirects); n < 2 {
		t.Errorf("redirects metric = %v, want >= 2", n)
	}
}

// TestSlowClientClosed1013 is not parallel: it fills TCP buffers, which is
// slow under contention.
func TestSlowClientClosed1013(t *testing.T) {
	g, f := testCluster(t, func(c *Config) { c.SendQueue = 4 })
	fast := dialWS(t, g, "/rooms/slow/websocket")
	fastID := lastConnected(t, f)
	slow := dialSmallWindow(t, g, "/rooms/slow/websocket")
	waitFor(t, "both connected", func() error { return f.socketCount(2) })
	var slowID string
	for _, e := range f.Events() {
		if id, ok := strings.CutPrefix(e, "connected "); ok && id != fastID {
			slowID = id
		}
	}

	// The fast client reads everything; the slow one reads nothing until
	// the gateway has dropped it. Each broadcast waits for the fast client
	// to have it, so only the slow client falls behind.
	got := make(chan string, 16)
	go func() {
		defer close(got)
		for {
			_, data, err := fast.ReadMessage()
			if err != nil {
				return
			}
			if len(data) > 100 {
				data = []byte("big")
			}
			got <- string(data)
		}
	}()
	next := func() string {
		select {
		case s := <-got:
			return s
		case <-time.After(30 * time.Second):
			t.Fatal("fast client starved")
			return ""
		}
	}
	big := "all:" + strings.Repeat("x", 512<<10)
	waitFor(t, "the slow client to overflow", func() error {
		send(t, fast, big)
		send(t, fast, big) // two at a time stay within the fast client's queue of 4
		for range 2 {
			if s := next(); s != "big" {
				t.Fatalf("fast client got %q", s)
			}
		}
		if testutil.ToFloat64(g.metrics.queueDrops) < 1 {
			return fmt.Errorf("no drop yet")
		}
		return nil
	})
	send(t, fast, "echo:fast still served")
	if s := next(); s != "fast still served" {
		t.Errorf("fast client got %q after the drop", s)
	}
	if ce := recvClose(t, slow); ce.Code != websocket.CloseTryAgainLater {
		t.Errorf("slow client closed %d, want 1013", ce.Code)
	}
	waitFor(t, "the shard to hear the 1013", func() error {
		if !f.has(fmt.Sprintf("closed %s 1013", slowID)) {
			return fmt.Errorf("events %v", f.Events())
		}
		return nil
	})
}

func TestOversizedMessage1009(t *testing.T) {
	t.Parallel()
	g, f := testCluster(t, func(c *Config) { c.MaxMessageSize = 1024 })
	c := dialWS(t, g, "/rooms/big/websocket")
	id := lastConnected(t, f)
	send(t, c, strings.Repeat("y", 2048))
	if ce := recvClose(t, c); ce.Code != websocket.CloseMessageTooBig {
		t.Errorf("close = %d, want 1009", ce.Code)
	}
	waitFor(t, "the shard to hear the 1009", func() error {
		if !f.has(fmt.Sprintf("closed %s 1009", id)) {
			return fmt.Errorf("events %v", f.Events())
		}
		return nil
	})
}

func TestRoomUnavailable1013(t *testing.T) {
	t.Parallel()
	g, f := testCluster(t, func(c *Config) { c.RoomOpenTimeout = 300 * time.Millisecond })
	f.refuse.Store(true)
	c := dialWS(t, g, "/rooms/down/websocket")
	if ce := recvClose(t, c); ce.Code != websocket.CloseTryAgainLater {
		t.Errorf("close = %d, want 1013", ce.Code)
	}
}

func TestWedgedShardAttemptAbandoned(t *testing.T) {
	t.Parallel()
	g, f := testCluster(t, func(c *Config) { c.RoomOpenTimeout = 2 * time.Second })
	f.hang.Store(1)
	c := dialWS(t, g, "/rooms/wedged/websocket")
	send(t, c, "echo:eventually")
	if got := recv(t, c); got != "eventually" {
		t.Errorf("got %q", got)
	}
	if !f.has("hang") || f.opens.Load() != 1 {
		t.Errorf("events %v, opens %d", f.Events(), f.opens.Load())
	}
}

func TestRoomBufferBound1013(t *testing.T) {
	t.Parallel()
	g, f := testCluster(t, func(c *Config) { c.RoomBuffer = 3 })
	f.refuse.Store(true) // nothing drains the buffer
	c := dialWS(t, g, "/rooms/busy/websocket")
	for i := range 5 {
		if err := c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprint(i))); err != nil {
			break // the gateway may close us mid-way
		}
	}
	if ce := recvClose(t, c); ce.Code != websocket.CloseTryAgainLater || ce.Text != reasonRoomBuffer {
		t.Errorf("close = %d %q, want 1013 %q", ce.Code, ce.Text, reasonRoomBuffer)
	}
}

func TestShutdownCloses1012(t *testing.T) {
	t.Parallel()
	g, f := testCluster(t, nil)
	c := dialWS(t, g, "/rooms/bye/websocket")
	id := lastConnected(t, f)
	closed := make(chan *websocket.CloseError, 1)
	go func() {
		_, _, err := c.ReadMessage()
		ce, _ := err.(*websocket.CloseError)
		closed <- ce
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	ce := <-closed
	if ce == nil || ce.Code != websocket.CloseServiceRestart || ce.Text != "gateway restarting" {
		t.Errorf("close = %v, want 1012 gateway restarting", ce)
	}
	if !f.has(fmt.Sprintf("closed %s 1012", id)) {
		t.Errorf("shard did not hear the 1012: %v", f.Events())
	}
	if n := testutil.ToFloat64(g.metrics.streamsOpen); n != 0 {
		t.Errorf("streams open after shutdown = %v", n)
	}
}

func TestSocketsLeaveRoomStream(t *testing.T) {
	t.Parallel()
	g, f := testCluster(t, nil)
	c := dialWS(t, g, "/rooms/short/websocket")
	lastConnected(t, f)
	_ = c.Close() // connection lost: no close frame
	waitFor(t, "room retired", func() error {
		if n := g.rooms.count(); n != 0 {
			return fmt.Errorf("%d rooms", n)
		}
		if n := testutil.ToFloat64(g.metrics.streamsOpen); n != 0 {
			return fmt.Errorf("%v streams open", n)
		}
		return nil
	})
	if !slices.ContainsFunc(f.Events(), func(e string) bool { return strings.HasSuffix(e, " 1006") }) {
		t.Errorf("shard did not hear a 1006: %v", f.Events())
	}
}

// get serves GET path on g's routes and returns the body.
func get(t *testing.T, g *Gateway, path string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	g.mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	if rec.Code != 200 {
		t.Fatalf("GET %s = %d %s", path, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// dialSmallWindow dials with a small TCP receive buffer so a client that
// does not read stalls its sender after a few frames.
func dialSmallWindow(t *testing.T, g *Gateway, path string) *websocket.Conn {
	t.Helper()
	// The buffer is set before connecting, so the window is small from the
	// handshake on (shrinking it later stalls the connection).
	nd := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 8192)
		})
		return errors.Join(err, serr)
	}}
	d := websocket.Dialer{NetDialContext: nd.DialContext}
	c, _, err := d.Dial("ws://"+g.HTTPAddr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestNoGoroutineLeak: clients coming and going, with their rooms and
// streams, leave no goroutine behind. Not parallel, so the count is ours.
func TestNoGoroutineLeak(t *testing.T) {
	g, f := testCluster(t, nil)
	f.closeReply.Store(true)
	// Warm up: the first room dials the shard, whose connection stays.
	c := dialWS(t, g, "/rooms/warm/websocket")
	send(t, c, "echo:x")
	recv(t, c)
	_ = c.Close()
	waitFor(t, "warm-up room retired", func() error {
		if g.rooms.count() != 0 {
			return fmt.Errorf("%d rooms", g.rooms.count())
		}
		return nil
	})
	base := runtime.NumGoroutine()
	for i := range 10 {
		c := dialWS(t, g, fmt.Sprintf("/rooms/leak%d/websocket", i%3))
		send(t, c, "echo:x")
		recv(t, c)
		switch i % 3 {
		case 0:
			_ = c.Close()
		case 1:
			_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
			recvClose(t, c)
		case 2:
			send(t, c, "close:1000:done")
			recvClose(t, c)
		}
	}
	waitFor(t, "goroutines back to the baseline", func() error {
		if n := runtime.NumGoroutine(); n > base || g.rooms.count() != 0 {
			return fmt.Errorf("%d goroutines (baseline %d), %d rooms", n, base, g.rooms.count())
		}
		return nil
	})
}

func TestRingChangeMovesRoom(t *testing.T) {
	t.Parallel()
	g, a := testCluster(t, nil)
	b := startFakeShard(t, "shard-b-"+t.Name())
	// A room the two-shard ring gives to b.
	two := ring.New([]ring.Node{{Name: a.name}, {Name: b.name}}, 0)
	var name string
	for i := 0; name == ""; i++ {
		n := fmt.Sprintf("room%d", i)
		if owner, _ := two.Owner(roomid.FromName("broadcast", n)); owner.Name == b.name {
			name = n
		}
	}
	c := dialWS(t, g, "/rooms/"+name+"/websocket")
	send(t, c, "echo:on a")
	if got := recv(t, c); got != "on a" {
		t.Fatalf("got %q", got)
	}
	joinShard(t, g, b)
	waitFor(t, "the room to move to b", func() error {
		if b.opens.Load() != 1 {
			return fmt.Errorf("b opens %d", b.opens.Load())
		}
		return nil
	})
	send(t, c, "echo:on b")
	if got := recv(t, c); got != "on b" {
		t.Errorf("got %q", got)
	}
	if !b.has("message " + lastConnected(t, a) + " echo:on b") {
		t.Errorf("b events %v", b.Events())
	}
}

// TestRoomsShareOneLink: every room stream to a shard rides one Link;
// when that Link breaks, each room re-opens on a new one, and no client
// notices beyond a pause.
func TestRoomsShareOneLink(t *testing.T) {
	t.Parallel()
	g, f := testCluster(t, nil)
	rooms := []string{"one", "two", "three"}
	conns := make([]*websocket.Conn, len(rooms))
	for i, name := range rooms {
		conns[i] = dialWS(t, g, "/rooms/"+name+"/websocket")
	}
	waitFor(t, "sockets connected", func() error { return f.socketCount(len(rooms)) })
	for i, c := range conns {
		send(t, c, "echo:"+rooms[i])
		if got := recv(t, c); got != rooms[i] {
			t.Fatalf("room %s echoed %q", rooms[i], got)
		}
	}
	if n, opens := f.links.Load(), f.opens.Load(); n != 1 || opens != int64(len(rooms)) {
		t.Errorf("Links = %d, room streams = %d; want 1 Link carrying %d", n, opens, len(rooms))
	}
	if n := testutil.ToFloat64(g.metrics.linksOpen); n != 1 {
		t.Errorf("shard_links_open = %v, want 1", n)
	}

	f.breakLinks()
	waitFor(t, "rooms re-opened on a new Link", func() error {
		if n, opens := f.links.Load(), f.opens.Load(); n != 2 || opens != 2*int64(len(rooms)) {
			return fmt.Errorf("Links = %d, room streams = %d", n, opens)
		}
		return nil
	})
	for i, c := range conns {
		send(t, c, "echo:again "+rooms[i])
		if got := recv(t, c); got != "again "+rooms[i] {
			t.Fatalf("room %s echoed %q after the break", rooms[i], got)
		}
	}
}
