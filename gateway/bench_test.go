package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// BenchmarkEcho is one client round trip through the gateway and a real
// gRPC room stream to a fake shard that answers "echo:X" with X: client
// read, room actor, stream writer, gRPC both ways, fan-out to the socket's
// writer. clients sockets in their own rooms run at once, each with one
// message in flight, as roomshard-bench's echo scenario does. allocs/op
// include the fake shard and the test's clients.
func BenchmarkEcho(b *testing.B) {
	for _, clients := range []int{1, 100} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchEcho(b, clients) })
	}
}

func benchEcho(b *testing.B, clients int) {
	g, f := testCluster(b, func(c *Config) {
		c.RateLimit = -1
		c.MaxConnectionsPerIP = -1
	})
	f.quiet.Store(true)
	conns := make([]*websocket.Conn, clients)
	for i := range conns {
		conns[i] = dialWS(b, g, fmt.Sprintf("/ns/echo/rooms/r%d/websocket", i))
	}
	msg := []byte("echo:" + strings.Repeat("m", 64))
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, c := range conns {
		n := b.N / clients
		if i < b.N%clients {
			n++
		}
		wg.Go(func() {
			for range n {
				if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
					b.Errorf("write: %v", err)
					return
				}
				if _, _, err := c.ReadMessage(); err != nil {
					b.Errorf("read: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkFanout measures one Deliver{all} to n local sockets over real
// loopback connections, until every client has read the message: encode
// once, enqueue to n writers, n writes (ns/op, dominated by the kernel's
// loopback writes and the clients' reads). enqueue-ns/socket is the room
// actor's own cost per target socket, the part that holds up the room.
// burst Delivers are applied back to back per op, which is where the
// writer's coalescing (one writev per burst) shows; burst=2 is one
// broadcast message (others, then all). writes/op counts the process's
// write syscalls (Linux only), which the kernel's loopback cost follows.
func BenchmarkFanout(b *testing.B) {
	for _, bc := range []struct{ sockets, burst int }{{100, 2}, {1000, 1}, {1000, 2}, {1000, 16}} {
		b.Run(fmt.Sprintf("sockets=%d/burst=%d", bc.sockets, bc.burst), func(b *testing.B) {
			benchFanout(b, bc.sockets, bc.burst)
		})
	}
}

func benchFanout(b *testing.B, sockets, burst int) {
	fx := newFanoutFixture(b, sockets)
	deliver := &roomshardv1.Deliver{All: true, Data: []byte(strings.Repeat("m", 100))}
	var enqueue time.Duration
	writes0, countWrites := writeSyscalls()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var wg sync.WaitGroup
		wg.Add(sockets * burst)
		fx.wg.Store(&wg)
		start := time.Now()
		for range burst {
			fx.room.onDeliver(deliver) // the benchmark goroutine acts as the actor
		}
		fx.room.wakeWriters() // as onFrames does after a batch
		enqueue += time.Since(start)
		wg.Wait()
	}
	b.StopTimer()
	if writes1, ok := writeSyscalls(); ok && countWrites {
		b.ReportMetric(float64(writes1-writes0)/float64(b.N), "writes/op")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*sockets*burst), "ns/delivery")
	b.ReportMetric(float64(enqueue.Nanoseconds())/float64(b.N*sockets*burst), "enqueue-ns/socket")
}

// writeSyscalls is this process's count of write syscalls so far, from
// /proc/self/io (false where there is none).
func writeSyscalls() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			n, err := strconv.ParseUint(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// fanoutFixture is a room (not running; the benchmark drives it) whose
// sockets are real loopback WebSockets read by counting clients.
type fanoutFixture struct {
	room *room
	wg   atomic.Pointer[sync.WaitGroup] // Done once per message read
}

func newFanoutFixture(b *testing.B, sockets int) *fanoutFixture {
	cfg := Config{}
	cfg.ensureDefaults()
	m := newMetrics(prometheus.NewRegistry())
	e := &env{cfg: &cfg, log: quietLogger(), metrics: m}
	fx := &fanoutFixture{room: newRoom(e, &roomshardv1.RoomRef{Id: "bench"})}
	limits := clientLimits{sendQueue: 1 << 16, maxMessage: 1 << 20, pingInterval: cfg.PingInterval,
		writeTimeout: cfg.WriteTimeout, closeWait: cfg.CloseWait}

	joined := make(chan *client)
	var handlers sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		own := &ownReader{ResponseWriter: w}
		conn, err := newUpgrader(DefaultHandshakeTimeout).Upgrade(own, r, nil)
		if err != nil {
			return
		}
		c := newClient(uuid.NewString(), conn, &limits, m)
		c.raw = newRawSocket(own.br, c.nc) // as serveSocket: writes in place
		c.prepareRead()
		joined <- c
		c.readLoop(false, func([]byte, bool) bool { return true }) // never parks: no resume
		c.kill()
		<-c.wait(&c.done)
	}))
	var conns []*websocket.Conn
	for range sockets {
		conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, conn)
		c := <-joined
		fx.room.sockets[c.id] = &member{c: c}
		c.batch = &fx.room.unwoken // as onJoin does
		go func() {
			for {
				if _, _, err := conn.ReadMessage(); err != nil {
					return
				}
				fx.wg.Load().Done()
			}
		}()
	}
	b.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
		handlers.Wait()
		srv.Close()
	})
	return fx
}
