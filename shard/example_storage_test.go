package shard_test

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/roomshard/roomshard/shard"
)

// visits counts the sockets that ever joined the room, durably, and
// forgets the count a day after someone asks it to.
type visits struct {
	shard.BaseRoom
	st *shard.Storage
}

func (v *visits) Connect(ctx context.Context, ws *shard.WebSocket) ([]string, error) {
	raw, _, err := v.st.Get(ctx, "visits")
	if err != nil {
		return nil, err
	}
	n, _ := strconv.Atoi(string(raw)) // missing: 0
	if err := v.st.Put(ctx, "visits", []byte(strconv.Itoa(n+1))); err != nil {
		return nil, err
	}
	// Sent once the new count is durable (the output gate).
	return nil, ws.SendText(fmt.Sprintf("visit #%d", n+1))
}

func (v *visits) Message(ctx context.Context, _ *shard.WebSocket, msg shard.Message) error {
	if msg.Text() == "reset tomorrow" {
		return v.st.SetAlarm(ctx, time.Now().Add(24*time.Hour))
	}
	return nil
}

// Alarm runs at the alarm's time on whichever shard owns the room then,
// even when no socket is connected.
func (v *visits) Alarm(ctx context.Context) error { return v.st.DeleteAll(ctx) }

// A room class that keeps its state in room storage.
func Example_storage() {
	visitsClass := shard.Class{Name: "visits", New: func(s *shard.State) shard.Room {
		return &visits{st: s.Storage()}
	}}
	_ = visitsClass // register it: server.Config.Classes = append(builtin.All(), visitsClass)
}
