package builtin

import (
	"context"
	"fmt"

	"github.com/roomshard/roomshard/shard"
)

// BroadcastName is the broadcast class's name.
const BroadcastName = "broadcast"

// Broadcast sends each message three times, in order: to the sender, to
// every other socket, to every socket. On close it answers 1000
// "Durable Object is closing WebSocket".
func Broadcast() shard.Class {
	return shard.Class{Name: BroadcastName, New: func(s *shard.State) shard.Room { return &broadcastRoom{state: s} }}
}

type broadcastRoom struct {
	shard.BaseRoom
	state *shard.State
}

func (b *broadcastRoom) Message(_ context.Context, ws *shard.WebSocket, msg shard.Message) error {
	n := b.state.ConnectionCount()
	text := func(to string) shard.Message {
		return shard.Text(fmt.Sprintf("[Durable Object] message: %s, from: %s, to: %s. Total connections: %d", msg.Data, ws.ID(), to, n))
	}
	if err := ws.Send(text("the initiating client")); err != nil {
		return err
	}
	if err := b.state.BroadcastExcept(text("all clients except the initiating client"), ws); err != nil {
		return err
	}
	return b.state.Broadcast(text("all clients"))
}

func (b *broadcastRoom) Close(_ context.Context, ws *shard.WebSocket, _ int, _ string, _ bool) error {
	return ws.Close(shard.CloseNormal, "Durable Object is closing WebSocket")
}
