package gateway

import (
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// maskedText is a client text frame with a zero mask key, so the payload
// goes on the wire as is.
func maskedText(payload string) []byte {
	return append([]byte{finBit | opText, 0x80 | byte(len(payload)), 0, 0, 0, 0}, payload...)
}

// TestReaderDeliversBufferedMessages: messages that arrive in one segment
// sit in the read buffer after the first is read. The reader must take
// them from there instead of waiting for the socket to become readable
// again, which it would not until the client sends more.
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

// TestIdleReaderEndsOnClientClose: a client that closes its TCP connection
// without a close frame while the reader waits is reported gone (1006).
func TestIdleReaderEndsOnClientClose(t *testing.T) {
	g, f := testCluster(t, nil)
	nc := rawDial(t, g, "/rooms/gone/websocket")
	id := lastConnected(t, f)
	_ = nc.Close()
	waitFor(t, "the close at the shard", func() error {
		if !f.has("closed " + id + " 1006") {
			return fmt.Errorf("events %v", f.Events())
		}
		return nil
	})
}

// TestIdleClientIsPinged: the room pings its sockets every PingInterval,
// and a client that answers stays connected past twice the interval. The
// interval leaves room for a loaded machine: an answer later than two
// intervals drops the client.
func TestIdleClientIsPinged(t *testing.T) {
	const interval = 250 * time.Millisecond
	g, f := testCluster(t, func(c *Config) { c.PingInterval = interval })
	c := dialWS(t, g, "/rooms/keepalive/websocket")
	lastConnected(t, f)
	var pings atomic.Int64
	c.SetPingHandler(func(data string) error {
		pings.Add(1)
		return c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	read := make(chan error, 1)
	go func() {
		_, _, err := c.ReadMessage() // runs the ping handler; returns when the connection ends
		read <- err
	}()
	waitFor(t, "pings", func() error {
		if n := pings.Load(); n < 3 {
			return fmt.Errorf("%d pings", n)
		}
		return nil
	})
	select {
	case err := <-read:
		t.Fatalf("connection ended: %v", err)
	default:
	}
	_ = c.Close()
	<-read
}

// emptyPong is a client's masked pong with no payload, the answer to our
// pings, which the idle reader consumes itself.
var emptyPong = []byte{finBit | opPong, 0x80, 0, 0, 0, 0}

// TestPongThenMessageInOneSegment: the idle reader takes a pong off the
// socket itself and must leave the frame behind it whole for gorilla.
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
	if _, err := nc.Write(maskedText("last")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both messages", func() error { return f.hasMessages(id, "after", "last") })
}

// TestSilentClientIsDropped: a client that answers no ping is closed as
// lost (1006) after about two intervals.
func TestSilentClientIsDropped(t *testing.T) {
	g, f := testCluster(t, func(c *Config) { c.PingInterval = 50 * time.Millisecond })
	rawDial(t, g, "/rooms/silent/websocket") // reads nothing, answers nothing
	id := lastConnected(t, f)
	waitFor(t, "the silent client dropped", func() error {
		if !f.has("closed " + id + " 1006") {
			return fmt.Errorf("events %v", f.Events())
		}
		return nil
	})
}

// TestSilentClientBeingWrittenGets1013: a client that reads nothing also
// answers no ping, but while its writer is blocked on its full socket the
// write timeout, not the silence, decides its fate: its queue overflows
// and it gets 1013 behind the frames already queued, not a 1006 from the
// keepalive.
func TestSilentClientBeingWrittenGets1013(t *testing.T) {
	g, f := testCluster(t, func(c *Config) {
		// Long enough that the slow client's writer is blocked well
		// within two intervals of its last message, on a loaded machine too.
		c.PingInterval = 2 * time.Second
		c.MaxMessageSize = 4 << 20
		c.SendQueue = 8
		c.WriteTimeout = time.Minute // not what ends it, however slow the machine
	})
	fast := dialWS(t, g, "/rooms/sleeper/websocket")
	got := make(chan string, 64)
	go func() {
		defer close(got)
		for {
			_, data, err := fast.ReadMessage()
			if err != nil {
				return
			}
			got <- string(data[:min(len(data), 8)])
		}
	}()
	slow := dialSmallWindow(t, g, "/rooms/sleeper/websocket")
	waitFor(t, "both connected", func() error { return f.socketCount(2) })
	slowID := lastConnected(t, f)
	send(t, slow, "noop") // its silence starts here, however slow the setup
	next := func() {
		select {
		case <-got:
		case <-time.After(5 * time.Second):
			t.Fatal("fast client starved")
		}
	}
	// Large frames block the slow client's writer on its full socket.
	for range 3 { // 6 MiB: more than loopback's socket buffers hold
		send(t, fast, "all:"+strings.Repeat("x", 2<<20))
		next()
	}
	time.Sleep(5 * time.Second) // past two silent intervals
	waitFor(t, "the overflow", func() error {
		send(t, fast, "all:small")
		next()
		if f.has("closed " + slowID + " 1006") {
			t.Fatalf("the slow client was dropped as silent while being written to")
		}
		if testutil.ToFloat64(g.metrics.queueDrops) < 1 {
			return fmt.Errorf("no drop yet")
		}
		return nil
	})
	if ce := recvClose(t, slow); ce.Code != websocket.CloseTryAgainLater {
		t.Errorf("slow client closed %d, want 1013", ce.Code)
	}
}

// TestInflightFramesCountAgainstSendQueue: the frames a writer took and is
// blocked writing still count toward --send-queue, so a client that never
// reads reaches its 1013 after its socket's buffers and one queue, not two.
func TestInflightFramesCountAgainstSendQueue(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String()) // never reads
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	limits := &clientLimits{epoch: time.Now(), sendQueue: 4, writeTimeout: 10 * time.Second, closeWait: time.Second}
	c := &client{id: "c", nc: nc, limits: limits, metrics: newMetrics(prometheus.NewRegistry())}
	defer c.kill()
	// More than loopback's socket buffers hold: the writer takes it and
	// blocks.
	if !c.enqueue(make(frame, 64<<20)) {
		t.Fatal("first frame refused")
	}
	waitFor(t, "the writer to take the frame", func() error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.queue) != 0 {
			return fmt.Errorf("still queued")
		}
		return nil
	})
	for i := range 3 {
		if !c.enqueue(frame("x")) {
			t.Fatalf("frame %d refused with %d of 4 in use", i+2, i+1)
		}
	}
	if c.enqueue(frame("x")) {
		t.Error("a fifth frame was queued behind a blocked writer holding one and a queue of three; want the queue full at 4")
	}
}

// TestSplitPongThenMessage: a pong whose bytes arrive in two segments is
// not the idle reader's to take (it peeks fewer than a whole frame), so
// gorilla reads it; the message right behind it must still arrive whole,
// and the one after a pause too.
func TestSplitPongThenMessage(t *testing.T) {
	g, f := testCluster(t, nil)
	nc := rawDial(t, g, "/rooms/splitpong/websocket")
	id := lastConnected(t, f)
	if _, err := nc.Write(emptyPong[:2]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := nc.Write(append(append([]byte{}, emptyPong[2:]...), maskedText("behind")...)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(readAsideAfter + 100*time.Millisecond)
	if _, err := nc.Write(append(append([]byte{}, emptyPong...), maskedText("later")...)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both messages", func() error { return f.hasMessages(id, "behind", "later") })
}
