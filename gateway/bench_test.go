package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
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

// BenchmarkFanout measures one Deliver{all} to n local sockets over real
// loopback connections, until every client has read the message: encode
// once, enqueue to n writers, n writes (ns/op, dominated by the kernel's
// loopback writes and the clients' reads). enqueue-ns/socket is the room
// actor's own cost per target socket, the part that holds up the room.
// burst Delivers are applied back to back per op, which is where the
// writer's coalescing (one writev per burst) shows.
func BenchmarkFanout(b *testing.B) {
	for _, bc := range []struct{ sockets, burst int }{{1000, 1}, {1000, 16}} {
		b.Run(fmt.Sprintf("sockets=%d/burst=%d", bc.sockets, bc.burst), func(b *testing.B) {
			benchFanout(b, bc.sockets, bc.burst)
		})
	}
}

func benchFanout(b *testing.B, sockets, burst int) {
	fx := newFanoutFixture(b, sockets)
	deliver := &roomshardv1.Deliver{All: true, Data: []byte(strings.Repeat("m", 100))}
	var enqueue time.Duration
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
		enqueue += time.Since(start)
		wg.Wait()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*sockets*burst), "ns/delivery")
	b.ReportMetric(float64(enqueue.Nanoseconds())/float64(b.N*sockets*burst), "enqueue-ns/socket")
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
	limits := clientLimits{sendQueue: 1 << 16, maxMessage: 1 << 20,
		writeTimeout: cfg.WriteTimeout, closeWait: cfg.CloseWait}

	joined := make(chan *client)
	var handlers sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		conn, err := newUpgrader(DefaultHandshakeTimeout).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := newClient(uuid.NewString(), conn, &limits, m)
		joined <- c
		c.readLoop(func([]byte, bool) bool { return true })
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
