package shard_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/shard"
	st "github.com/roomshard/roomshard/shard/shardtest"
	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/pebble"
)

// replyGateway signals every Deliver frame; it ignores the rest.
type replyGateway struct{ replies chan struct{} }

func (g *replyGateway) Send(frames ...*roomshardv1.ShardFrame) {
	for _, f := range frames {
		if f.GetDeliver() != nil {
			g.replies <- struct{}{}
		}
	}
}
func (g *replyGateway) Close(error) {}

// writerClass stores each message and replies once it is durable.
func writerClass() shard.Class {
	return shard.Class{Name: "writer", New: func(s *shard.State) shard.Room { return &writerRoom{s: s} }}
}

type writerRoom struct {
	shard.BaseRoom
	s *shard.State
}

func (w *writerRoom) Message(ctx context.Context, ws *shard.WebSocket, msg shard.Message) error {
	if err := w.s.Storage().Put(ctx, "last", msg.Data); err != nil {
		return err
	}
	return ws.SendText("ok")
}

// BenchmarkRoomCommits: 1,000 rooms on one shard each handle a message
// that writes a key, all at once, through the runtime onto pebble on
// disk; one op is one such round (1,000 commits, each synced before its
// reply). "group" shares a sync among the commits queued together (the
// default), "single" syncs every commit on its own.
//
//	go test -run '^$' -bench RoomCommits -benchtime 20x ./shard/
func BenchmarkRoomCommits(b *testing.B) {
	for _, mode := range []struct {
		name string
		gc   storage.GroupCommit
	}{{"group", storage.GroupCommit{}}, {"single", storage.GroupCommit{Disabled: true}}} {
		b.Run(mode.name, func(b *testing.B) { benchRoomCommits(b, mode.gc) })
	}
}

func benchRoomCommits(b *testing.B, gc storage.GroupCommit) {
	const rooms = 1000
	store, err := pebble.Open(context.Background(), pebble.Config{Path: b.TempDir(), GroupCommit: gc})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	h := st.NewHost(b, shard.HostConfig{Storage: store}, writerClass())
	g := &replyGateway{replies: make(chan struct{}, rooms)}
	conns := make([]*shard.Conn, rooms)
	for i := range conns {
		c, rd, err := h.Open(context.Background(), &roomshardv1.OpenRoom{
			Room: &roomshardv1.RoomRef{Namespace: "writer", Name: fmt.Sprint(i)}, Gateway: "g1",
		}, g)
		if err != nil || rd != nil {
			b.Fatal(rd, err)
		}
		conns[i] = c
		st.Handle(b, c, st.Connected("s"))
	}
	msg := []*roomshardv1.GatewayFrame{st.Message("s", "x")}
	round := func() {
		for _, c := range conns {
			if err := c.Handle(context.Background(), msg); err != nil {
				b.Fatal(err)
			}
		}
		for range rooms {
			<-g.replies
		}
	}
	round() // takes every room's lease
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		round()
	}
	b.ReportMetric(float64(b.N*rooms)/time.Since(start).Seconds(), "commits/s")
}
