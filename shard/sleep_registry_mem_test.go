package shard

import (
	"fmt"
	"runtime"
	"testing"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// BenchmarkRegistryMemory measures the socket registry of a room with one
// gateway stream and one socket, built as attach and onConnected build it:
// the part of a hibernated room's cost that stays by design and that
// BenchmarkHibernatedRoomMemory's result is compared against. Run it with
//
//	go test ./shard -run '^$' -bench 'RegistryMemory|HibernatedRoomMemory' -benchtime 1x
func BenchmarkRegistryMemory(b *testing.B) {
	const rooms = 10000
	for range b.N {
		r := &room{}
		before := memNowInternal()
		regs := make([]*registry, rooms)
		for i := range regs {
			reg := newRegistry()
			l := newLink("g1", nil)
			reg.addLink(l)
			reg.add(r.newSocket(l, &roomshardv1.Socket{Id: fmt.Sprintf("s-%d", i)}))
			regs[i] = reg
		}
		after := memNowInternal()
		b.ReportMetric((float64(after.inuse)-float64(before.inuse))/rooms, "registry-inuse-B/room")
		b.ReportMetric((float64(after.live)-float64(before.live))/rooms, "registry-live-B/room")
		runtime.KeepAlive(regs)
	}
}

func memNowInternal() struct{ inuse, live uint64 } {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return struct{ inuse, live uint64 }{m.HeapInuse + m.StackInuse, m.HeapAlloc}
}
