package server_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// BenchmarkEchoStream is the shard's share of one echo round trip over a
// real gRPC room stream on loopback: the gateway side sends a
// SocketMessage, the echo room answers, the gateway side receives the
// Deliver. rooms streams run at once, each with one message in flight,
// as the echo scenario of roomshard-bench drives them (allocs/op include
// the test's own gRPC client).
func BenchmarkEchoStream(b *testing.B) {
	for _, rooms := range []int{1, 100} {
		b.Run(fmt.Sprintf("rooms=%d", rooms), func(b *testing.B) { benchEchoStream(b, rooms) })
	}
}

func benchEchoStream(b *testing.B, rooms int) {
	s := startShard(b, loopbackConfig("bench"))
	c := dial(b, s.GRPCAddr())
	streams := make([]*gwStream, rooms)
	for i := range streams {
		streams[i] = open(b, c, "echo", fmt.Sprintf("room-%d", i), "gw")
		streams[i].connect(b, "s1")
	}
	req := []*roomshardv1.GatewayFrame{msg("s1", strings.Repeat("m", 64))}
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, g := range streams {
		n := b.N / rooms
		if i < b.N%rooms {
			n++
		}
		wg.Go(func() {
			for range n {
				if err := g.sendFrames(req); err != nil {
					b.Errorf("Send: %v", err)
					return
				}
				if f := <-g.frames; f.GetDeliver() == nil {
					b.Errorf("frame = %v, want Deliver", f)
					return
				}
			}
		})
	}
	wg.Wait()
}
