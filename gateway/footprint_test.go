package gateway

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// idleFootprint is what one idle client connection, or one room with one
// idle client, costs the gateway on average.
type idleFootprint struct {
	goroutines float64
	heapBytes  float64 // live heap after a GC
	stackBytes float64 // goroutine stacks in use
}

// measureIdle connects n idle clients to a gateway with a fake shard and
// returns the gateway's growth per client. With rooms false they share one
// room (opened before the measurement starts); with rooms true each has
// its own. The clients are bare TCP connections that did the handshake by
// hand, so the client side adds only its net.Conn to the heap, and no
// goroutine.
// With woken, each client then sends one message, so every reader has
// been through gorilla's frame parser and parked again.
func measureIdle(tb testing.TB, n int, rooms, woken bool) idleFootprint {
	g, f := testCluster(tb, func(c *Config) { c.MaxConnectionsPerIP = -1 })
	path := func(i int) string {
		if rooms {
			return fmt.Sprintf("/rooms/idle-%d/websocket", i)
		}
		return "/rooms/idle/websocket"
	}
	rawDial(tb, g, "/rooms/first/websocket") // the stream and the gRPC connection
	waitFor(tb, "the first socket", func() error { return f.socketCount(1) })
	rawDial(tb, g, path(0))
	waitFor(tb, "the second socket", func() error { return f.socketCount(2) })
	base := runtime.NumGoroutine()
	heap0, stack0 := memory()

	conns := make([]net.Conn, n)
	for i := range n {
		conns[i] = rawDial(tb, g, path(i+1))
	}
	waitFor(tb, "every socket at the shard", func() error { return f.socketCount(n + 2) })
	if woken {
		for _, nc := range conns {
			if _, err := nc.Write(maskedText("wake")); err != nil {
				tb.Fatal(err)
			}
		}
		waitFor(tb, "every message at the shard", func() error {
			got := 0
			for _, e := range f.Events() {
				if strings.HasPrefix(e, "message ") {
					got++
				}
			}
			if got < n {
				return fmt.Errorf("%d of %d messages", got, n)
			}
			return nil
		})
	}
	// Readers park once their clients have been quiet for readerLinger;
	// wait for that, so the count is the steady idle state.
	deadline := time.Now().Add(readerLinger + 10*time.Second)
	for runtime.NumGoroutine()-base > 1 && time.Now().Before(deadline) { // 1: the poller
		time.Sleep(10 * time.Millisecond)
	}
	heap1, stack1 := memory()
	return idleFootprint{
		goroutines: float64(runtime.NumGoroutine()-base) / float64(n),
		heapBytes:  float64(heap1-heap0) / float64(n),
		stackBytes: float64(stack1-stack0) / float64(n),
	}
}

// memory returns the live heap and the stack memory in use after a GC,
// which also shrinks stacks that use under a quarter of their size.
func memory() (heap, stack int64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc), int64(ms.StackInuse)
}

// rawDial opens a WebSocket to path with a hand-written handshake and
// leaves it open (closed when the test ends).
func rawDial(tb testing.TB, g *Gateway, path string) net.Conn {
	tb.Helper()
	nc, err := net.Dial("tcp", g.HTTPAddr())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", path, g.HTTPAddr())
	resp, err := http.ReadResponse(bufio.NewReaderSize(nc, 512), nil)
	if err != nil {
		tb.Fatalf("handshake: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		tb.Fatalf("handshake: %s", resp.Status)
	}
	_ = nc.SetDeadline(time.Time{})
	return nc
}

// TestIdleConnectionsHoldNoGoroutine: idle clients cost no goroutine: their
// readers park their sockets in the idle poller, writers run only while a
// client is behind, and the keepalive is a timer.
func TestIdleConnectionsHoldNoGoroutine(t *testing.T) {
	if !rawSupported {
		t.Skip("no idle poller on this platform")
	}
	fp := measureIdle(t, 200, false, false)
	if fp.goroutines > 0.01 { // the poller's own, when it started in the measurement
		t.Errorf("%.2f goroutines per idle connection, want none", fp.goroutines)
	}
	t.Logf("per idle connection: %.2f goroutines, %.0f B heap, %.0f B stack", fp.goroutines, fp.heapBytes, fp.stackBytes)
}

// BenchmarkIdle reports what an idle client connection, one that has
// sent a message since, and a room with one idle client cost the gateway
// process. Run it with -benchtime=1x: each iteration connects 2,000
// clients (4,000 file descriptors in this process).
func BenchmarkIdle(b *testing.B) {
	for _, bc := range []struct {
		name, unit   string
		rooms, woken bool
	}{{"conn", "conn", false, false}, {"conn-woken", "conn", false, true}, {"room", "room", true, false}} {
		b.Run(bc.name, func(b *testing.B) {
			var fp idleFootprint
			for range b.N {
				fp = measureIdle(b, 2000, bc.rooms, bc.woken)
			}
			b.ReportMetric(fp.goroutines, "goroutines/"+bc.unit)
			b.ReportMetric(fp.heapBytes, "heap-B/"+bc.unit)
			b.ReportMetric(fp.stackBytes, "stack-B/"+bc.unit)
			b.ReportMetric(0, "ns/op")
		})
	}
}

// maskedText is a client text frame with a zero mask key, so the payload
// goes on the wire as is.
func maskedText(payload string) []byte {
	return append([]byte{finBit | opText, 0x80 | byte(len(payload)), 0, 0, 0, 0}, payload...)
}
