package builtin

import (
	"context"

	"github.com/roomshard/roomshard/shard"
)

// EchoName is the echo class's name.
const EchoName = "echo"

// Echo replies "[Durable Object]: {message}" to the sender.
func Echo() shard.Class {
	return shard.Class{Name: EchoName, New: func(*shard.State) shard.Room { return echoRoom{} }}
}

type echoRoom struct{ shard.BaseRoom }

func (echoRoom) Message(_ context.Context, ws *shard.WebSocket, msg shard.Message) error {
	out := append([]byte("[Durable Object]: "), msg.Data...)
	return ws.Send(shard.Message{Data: out, Binary: msg.Binary})
}
