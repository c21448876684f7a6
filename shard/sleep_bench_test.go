package shard_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/shard"
	"github.com/roomshard/roomshard/shard/builtin"
	st "github.com/roomshard/roomshard/shard/shardtest"
)

// sharedOutbound stands for one gateway's multiplexed stream: every room
// of the measurement sends to the same Outbound, so the per-room stream
// (which is not this package's to shrink) costs nothing in the numbers.
type sharedOutbound struct{ sends atomic.Int64 }

func (o *sharedOutbound) Send(...*roomshardv1.ShardFrame) { o.sends.Add(1) }
func (o *sharedOutbound) Close(error)                     {}

// BenchmarkHibernatedRoomMemory measures what a hibernated room costs the
// shard: it opens hibernatedRooms rooms of the hibernation class with one
// socket each (connect and one message, so each room built its object
// and ran events), waits until every room hibernated, and reports the
// growth of HeapInuse+StackInuse (and of live heap bytes) per room after
// a GC. Only the exported API is used, so the same file measures any
// revision. Run it with
//
//	go test ./shard -run '^$' -bench HibernatedRoomMemory -benchtime 1x
func BenchmarkHibernatedRoomMemory(b *testing.B) {
	const hibernatedRooms = 10000
	for range b.N {
		h := st.NewHost(b, shard.HostConfig{HibernateAfter: 50 * time.Millisecond}, builtin.All()...)
		out := &sharedOutbound{}
		before := memNow()
		goroutines := runtime.NumGoroutine()
		conns := make([]*shard.Conn, hibernatedRooms)
		for i := range conns {
			conn, rd, err := h.Open(context.Background(), &roomshardv1.OpenRoom{
				Room: &roomshardv1.RoomRef{Namespace: "hibernation", Name: fmt.Sprintf("room-%d", i)}, Gateway: "g1",
			}, out)
			if err != nil || rd != nil {
				b.Fatal(rd, err)
			}
			id := fmt.Sprintf("s-%d", i)
			if err := conn.Handle(context.Background(), []*roomshardv1.GatewayFrame{st.Connected(id), st.Message(id, "hi")}); err != nil {
				b.Fatal(err)
			}
			conns[i] = conn
		}
		// RoomOpened, then one Send per event (connect, message) per room.
		st.Eventually(b, func() error {
			if n := out.sends.Load(); n < 3*hibernatedRooms {
				return fmt.Errorf("%d sends, want %d", n, 3*hibernatedRooms)
			}
			return nil
		})
		deadline := time.Now().Add(30 * time.Second)
		for {
			awake := 0
			for _, ri := range h.Rooms(context.Background()) {
				if !ri.GetHibernated() {
					awake++
				}
			}
			if awake == 0 {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d rooms still awake", awake)
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // let goroutines that are about to exit exit
		after := memNow()
		perRoom := func(x, y uint64) float64 { return (float64(y) - float64(x)) / hibernatedRooms }
		b.ReportMetric(perRoom(before.inuse, after.inuse), "inuse-B/room")
		b.ReportMetric(perRoom(before.heapInuse, after.heapInuse), "heapinuse-B/room")
		b.ReportMetric(perRoom(before.stack, after.stack), "stack-B/room")
		b.ReportMetric(perRoom(before.live, after.live), "live-B/room")
		b.ReportMetric(float64(runtime.NumGoroutine()-goroutines)/hibernatedRooms, "goroutines/room")
		runtime.KeepAlive(conns)
		b.StopTimer()
	}
}

type memSample struct{ inuse, heapInuse, stack, live uint64 }

func memNow() memSample {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memSample{inuse: m.HeapInuse + m.StackInuse, heapInuse: m.HeapInuse, stack: m.StackInuse, live: m.HeapAlloc}
}

// BenchmarkEchoWake: one echo round trip at a time, so the room has
// nothing queued between events: each message wakes an idle room (with
// this package's runtime, starts its goroutine) and the reply is awaited
// before the next.
func BenchmarkEchoWake(b *testing.B) {
	h := newHost(b)
	g := &countingGateway{make(chan int, 16)}
	conn, rd, err := h.Open(context.Background(), &roomshardv1.OpenRoom{
		Room: &roomshardv1.RoomRef{Namespace: "echo", Name: "wake"}, Gateway: "g1",
	}, g)
	if err != nil || rd != nil {
		b.Fatal(rd, err)
	}
	<-g.sends // RoomOpened
	st.Handle(b, conn, st.Connected("a"))
	<-g.sends // SetTags
	msg := []*roomshardv1.GatewayFrame{st.Message("a", "hello")}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := conn.Handle(context.Background(), msg); err != nil {
			b.Fatal(err)
		}
		<-g.sends
	}
}
