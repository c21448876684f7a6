package shard_test

import (
	"context"
	"fmt"
	"testing"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/shard"
	st "github.com/roomshard/roomshard/shard/shardtest"
)

// countingGateway signals every Send: one per event and stream.
type countingGateway struct{ sends chan int }

func (g *countingGateway) Send(frames ...*roomshardv1.ShardFrame) { g.sends <- len(frames) }
func (g *countingGateway) Close(error)                            {}

// BenchmarkBroadcastEvent: the broadcast room handling one message in a
// room of 1,000 sockets across 2 gateway streams (handler, routing and
// release; no gRPC).
func BenchmarkBroadcastEvent(b *testing.B) {
	h := newHost(b)
	gws := []*countingGateway{{make(chan int, 1024)}, {make(chan int, 1024)}}
	var conns []*shard.Conn
	for i, g := range gws {
		conn, rd, err := h.Open(context.Background(), &roomshardv1.OpenRoom{
			Room: &roomshardv1.RoomRef{Namespace: "broadcast", Name: "big"}, Gateway: fmt.Sprintf("g%d", i),
		}, g)
		if err != nil || rd != nil {
			b.Fatal(rd, err)
		}
		conns = append(conns, conn)
		<-g.sends // RoomOpened
		frames := make([]*roomshardv1.GatewayFrame, 500)
		for j := range frames {
			frames[j] = st.Connected(fmt.Sprintf("g%d-s%d", i, j))
		}
		st.Handle(b, conn, frames...)
		for range frames {
			<-g.sends // SetTags per accepted socket
		}
	}
	msg := []*roomshardv1.GatewayFrame{st.Message("g0-s0", "hello")}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := conns[0].Handle(context.Background(), msg); err != nil {
			b.Fatal(err)
		}
		if n := <-gws[0].sends; n != 3 {
			b.Fatalf("sender's stream got %d frames, want 3", n)
		}
		if n := <-gws[1].sends; n != 2 {
			b.Fatalf("other stream got %d frames, want 2", n)
		}
	}
}
