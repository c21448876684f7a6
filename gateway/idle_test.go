package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
)

// emptyPong is a client's masked pong with no payload, the answer to our
// pings, which the idle reader consumes itself.
var emptyPong = []byte{finBit | opPong, 0x80, 0, 0, 0, 0}

// clientState is what a test can see of one gateway client.
type clientState struct {
	parked  bool // its socket is in the idle poller: no reader goroutine
	writer  bool // a writer goroutine exists
	writing bool
}

// clients returns the state of every live client of g, read through the
// room actors that own them.
func clients(t testing.TB, g *Gateway) map[string]clientState {
	t.Helper()
	var rooms []*room
	g.rooms.each(func(r *room) { rooms = append(rooms, r) })
	out := map[string]clientState{}
	for _, r := range rooms {
		got := make(chan []*client, 1)
		if !r.post(func() {
			var cs []*client
			for _, m := range r.sockets {
				cs = append(cs, m.c)
			}
			got <- cs
		}) {
			continue
		}
		for _, c := range <-got {
			p := &c.limits.idle
			p.mu.Lock()
			parked := c.parkTok != 0
			p.mu.Unlock()
			c.mu.Lock()
			out[c.id] = clientState{parked: parked, writer: c.writer, writing: c.writing}
			c.mu.Unlock()
		}
	}
	return out
}

// waitParked waits until the client with session id has parked its socket
// and holds no writer goroutine.
func waitParked(t testing.TB, g *Gateway, id string) {
	t.Helper()
	waitFor(t, "the client to go idle", func() error {
		s, ok := clients(t, g)[id]
		if !ok || !s.parked || s.writer {
			return fmt.Errorf("client %s: %+v (known %v)", id, s, ok)
		}
		return nil
	})
}

// readFrame reads one server frame (unmasked, payload under 126 bytes)
// from a raw client connection.
func readFrame(t testing.TB, br *bufio.Reader, nc net.Conn) (op byte, payload string) {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer func() { _ = nc.SetReadDeadline(time.Time{}) }()
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	if h[1] >= 126 {
		t.Fatalf("frame too long for this test: %x", h)
	}
	p := make([]byte, h[1])
	if _, err := io.ReadFull(br, p); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	return h[0] & 0x0f, string(p)
}

// TestIdleClientHoldsNoGoroutine: once a client has been quiet for
// readerLinger, its reader parks the socket and ends, and it has no
// writer; a broadcast still reaches it (written in place, starting no
// writer), and a message it sends afterwards reaches the room.
func TestIdleClientHoldsNoGoroutine(t *testing.T) {
	g, f := testCluster(t, nil)
	sender := dialWS(t, g, "/rooms/quiet/websocket")
	senderID := lastConnected(t, f)
	nc := rawDial(t, g, "/rooms/quiet/websocket")
	waitFor(t, "both connected", func() error { return f.socketCount(2) })
	id := lastConnected(t, f)
	if id == senderID {
		t.Fatal("no second client")
	}
	waitParked(t, g, id)

	send(t, sender, "all:to everyone")
	br := bufio.NewReader(nc)
	if op, p := readFrame(t, br, nc); op != opText || p != "to everyone" {
		t.Fatalf("idle client got op %x %q", op, p)
	}
	if s := clients(t, g)[id]; !s.parked || s.writer {
		t.Errorf("after a broadcast the idle client is %+v; want parked, no writer (written in place)", s)
	}

	if _, err := nc.Write(maskedText("from the idle one")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "its message at the shard", func() error { return f.hasMessages(id, "from the idle one") })
	waitParked(t, g, id) // and idle again
}

// TestIdleClientIsPinged: a parked client is pinged every PingInterval
// without a goroutine of its own, its pongs keep it connected past twice
// the interval, and it stays parked in between.
func TestIdleClientIsPinged(t *testing.T) {
	const interval = 500 * time.Millisecond // two of them cover a pong on a loaded machine
	g, f := testCluster(t, func(c *Config) { c.PingInterval = interval })
	nc := rawDial(t, g, "/rooms/keepalive/websocket")
	id := lastConnected(t, f)
	br := bufio.NewReader(nc)
	for i := range 5 { // 2.5 s: past readerLinger and two silent intervals
		if op, _ := readFrame(t, br, nc); op != opPing {
			t.Fatalf("frame %d: op %x, want a ping", i, op)
		}
		if _, err := nc.Write(emptyPong); err != nil {
			t.Fatal(err)
		}
	}
	waitParked(t, g, id)
	if op, _ := readFrame(t, br, nc); op != opPing {
		t.Fatalf("op %x, want a ping to the parked client", op)
	}
	if f.has("closed " + id + " 1006") {
		t.Fatal("a client that answers pings was dropped")
	}
}

// TestSilentIdleClientIsDropped: a parked client that answers no ping is
// closed as lost (1006) after about two intervals, and the room hears it.
func TestSilentIdleClientIsDropped(t *testing.T) {
	g, f := testCluster(t, func(c *Config) { c.PingInterval = time.Second })
	rawDial(t, g, "/rooms/silent/websocket") // reads nothing, answers nothing
	id := lastConnected(t, f)
	waitParked(t, g, id)
	waitFor(t, "the silent client dropped", func() error {
		if !f.has("closed " + id + " 1006") {
			return fmt.Errorf("events %v", f.Events())
		}
		return nil
	})
}

// TestIdleClientDisconnect: a parked client that closes its TCP connection
// without a close frame is reported gone (1006).
func TestIdleClientDisconnect(t *testing.T) {
	g, f := testCluster(t, nil)
	nc := rawDial(t, g, "/rooms/gone/websocket")
	id := lastConnected(t, f)
	waitParked(t, g, id)
	_ = nc.Close()
	waitFor(t, "the close at the shard", func() error {
		if !f.has("closed " + id + " 1006") {
			return fmt.Errorf("events %v", f.Events())
		}
		return nil
	})
}

// TestShutdownClosesIdleClient: Shutdown closes a parked client with 1012
// and finishes promptly: the client's answering close frame wakes its
// reader through the poller.
func TestShutdownClosesIdleClient(t *testing.T) {
	g, f := testCluster(t, nil)
	c := dialWS(t, g, "/rooms/idlebye/websocket")
	id := lastConnected(t, f)
	waitParked(t, g, id)
	closed := make(chan *websocket.CloseError, 1)
	go func() {
		_, _, err := c.ReadMessage() // gorilla answers the close frame
		ce, _ := err.(*websocket.CloseError)
		closed <- ce
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := g.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if ce := <-closed; ce == nil || ce.Code != websocket.CloseServiceRestart {
		t.Errorf("close = %v, want 1012", ce)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("shutdown took %v", d)
	}
}

// TestPongThenMessageInOneSegment: the reader takes pongs off the socket
// itself and must leave the frame behind them whole for gorilla.
func TestPongThenMessageInOneSegment(t *testing.T) {
	g, f := testCluster(t, nil)
	nc := rawDial(t, g, "/rooms/pongs/websocket")
	id := lastConnected(t, f)
	var burst []byte
	burst = append(burst, emptyPong...)
	burst = append(burst, emptyPong...)
	burst = append(burst, maskedText("after")...)
	burst = append(burst, emptyPong...)
	if _, err := nc.Write(burst); err != nil {
		t.Fatal(err)
	}
	waitParked(t, g, id)
	if _, err := nc.Write(append(append([]byte{}, emptyPong...), maskedText("last")...)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both messages", func() error { return f.hasMessages(id, "after", "last") })
}

// TestReaderDeliversBufferedMessages: messages that arrive in one segment
// sit in the read buffer after the first is read; the reader must take
// them from there instead of waiting for the socket.
func TestReaderDeliversBufferedMessages(t *testing.T) {
	g, f := testCluster(t, nil)
	nc := rawDial(t, g, "/rooms/burst/websocket")
	id := lastConnected(t, f)
	var burst []byte
	for _, m := range []string{"one", "two", "three"} {
		burst = append(burst, maskedText(m)...)
	}
	if _, err := nc.Write(burst); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "all three messages", func() error { return f.hasMessages(id, "one", "two", "three") })
}

// rawPair is a client on a real loopback WebSocket with raw socket access
// (in-place writes), and the peer's connection, which reads only when told.
func rawPair(t *testing.T, limits *clientLimits) (*client, net.Conn) {
	t.Helper()
	joined := make(chan *client, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		own := &ownReader{ResponseWriter: w}
		conn, err := newUpgrader(DefaultHandshakeTimeout).Upgrade(own, r, nil)
		if err != nil {
			return
		}
		c := newClient("c", conn, limits, newMetrics(prometheus.NewRegistry()))
		c.raw = newRawSocket(own.br, c.nc)
		joined <- c
	}))
	t.Cleanup(srv.Close)
	peer, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := <-joined
	t.Cleanup(func() {
		c.kill()
		<-c.wait(&c.done)
		_ = peer.Close()
	})
	return c, peer.NetConn()
}

// TestInPlacePartialWriteCountsAgainstSendQueue: what a full socket did
// not take from an in-place write is handed to the writer and still counts
// toward --send-queue.
func TestInPlacePartialWriteCountsAgainstSendQueue(t *testing.T) {
	if !rawSupported {
		t.Skip("no in-place writes on this platform")
	}
	limits := &clientLimits{sendQueue: 4, maxMessage: 1 << 20, pingInterval: time.Hour, writeTimeout: time.Minute, closeWait: time.Second}
	c, _ := rawPair(t, limits) // the peer never reads
	if !c.enqueue(dataFrame(make([]byte, 64<<20), true)) {
		t.Fatal("first frame refused")
	}
	c.mu.Lock()
	inflight, rest, writer := c.inflight, len(c.rest), c.writer
	c.mu.Unlock()
	if inflight != 1 || !writer {
		t.Fatalf("after a partial in-place write: %d in flight (%d left over), writer %v; want 1 and a writer", inflight, rest, writer)
	}
	for i := range 3 {
		if !c.enqueue(dataFrame([]byte("x"), false)) {
			t.Fatalf("frame %d refused with %d of 4 in use", i+2, i+1)
		}
	}
	if c.enqueue(dataFrame([]byte("x"), false)) {
		t.Error("a fifth frame was queued behind one left over and a queue of three; want the queue full at 4")
	}
}

// TestWriterLingersAcrossBursts: a writer started for a client that fell
// behind stays parked between bursts, so back-to-back bursts reuse it
// instead of starting a goroutine each, and it exits once the client has
// been idle for writerLinger.
func TestWriterLingersAcrossBursts(t *testing.T) {
	if !rawSupported {
		t.Skip("no in-place writes on this platform")
	}
	limits := &clientLimits{sendQueue: 16, maxMessage: 1 << 20, pingInterval: time.Hour, writeTimeout: time.Minute, closeWait: time.Second}
	c, peer := rawPair(t, limits)
	var read atomic.Int64
	go func() { // reads everything, a little slower than loopback
		buf := make([]byte, 256<<10)
		for {
			n, err := peer.Read(buf)
			read.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	const size = 16 << 20 // more than the socket buffers: each burst needs the writer
	var starts int
	for burst := range 3 {
		c.mu.Lock()
		had := c.writer
		c.mu.Unlock()
		if !had {
			starts++
		}
		if !c.enqueue(dataFrame(make([]byte, size), true)) {
			t.Fatalf("burst %d refused", burst)
		}
		want := int64(burst+1) * (size + 10)
		waitFor(t, "the burst read", func() error {
			if n := read.Load(); n < want {
				return fmt.Errorf("%d of %d bytes", n, want)
			}
			return nil
		})
	}
	if starts != 1 {
		t.Errorf("%d writers started for 3 back-to-back bursts; want 1 that lingers", starts)
	}
	waitFor(t, "the idle writer to exit", func() error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.writer {
			return fmt.Errorf("writer still there")
		}
		return nil
	})
}

// TestLargeBroadcastGoesThroughWriters: a broadcast reaching more than
// maxInPlaceBatch clients is handed to their writers rather than written
// by the room actor one socket after another; the writers linger after it
// and then exit, leaving the idle clients without goroutines again.
func TestLargeBroadcastGoesThroughWriters(t *testing.T) {
	if !rawSupported {
		t.Skip("no in-place writes on this platform")
	}
	g, f := testCluster(t, func(c *Config) { c.MaxConnectionsPerIP = -1 })
	sender := dialWS(t, g, "/rooms/big/websocket")
	senderID := lastConnected(t, f)
	const n = maxInPlaceBatch + 4
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = rawDial(t, g, "/rooms/big/websocket")
	}
	waitFor(t, "everyone connected", func() error { return f.socketCount(n + 1) })
	send(t, sender, "all:to many")
	for i, nc := range conns {
		if op, p := readFrame(t, bufio.NewReader(nc), nc); op != opText || p != "to many" {
			t.Fatalf("client %d got op %x %q", i, op, p)
		}
	}
	writers := 0
	for id, s := range clients(t, g) {
		if id != senderID && s.writer {
			writers++
		}
	}
	if writers < n/2 { // some may have retired already on a slow machine
		t.Errorf("%d of %d clients have a writer right after a broadcast to %d; want the broadcast written by writers", writers, n, n+1)
	}
	waitFor(t, "the writers to exit", func() error {
		for id, s := range clients(t, g) {
			if s.writer {
				return fmt.Errorf("client %s still has a writer", id)
			}
		}
		return nil
	})
}
