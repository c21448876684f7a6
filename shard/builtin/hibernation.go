package builtin

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/roomshard/roomshard/shard"
)

// HibernationName is the hibernation class's name.
const HibernationName = "hibernation"

// Hibernation is the seed's hibernatable room: each socket's attachment is
// {"id":"{id}"}, gateways answer "ping" with "pong" without waking the
// room, and each message goes to the sender, then every socket, then every
// socket but the sender.
func Hibernation() shard.Class {
	return shard.Class{Name: HibernationName, Hibernatable: true, New: newHibernationRoom}
}

type hibernationRoom struct {
	shard.BaseRoom
	state *shard.State
}

// newHibernationRoom runs again after each eviction; everything it needs
// is in the State (attachments, sockets), so it keeps nothing else.
func newHibernationRoom(s *shard.State) shard.Room {
	if err := s.SetAutoResponse("ping", "pong"); err != nil {
		s.Logger().Error("setting auto-response", "err", err)
	}
	return &hibernationRoom{state: s}
}

type sessionAttachment struct {
	ID string `json:"id"`
}

func (h *hibernationRoom) Connect(_ context.Context, ws *shard.WebSocket) ([]string, error) {
	b, err := json.Marshal(sessionAttachment{ID: ws.ID()})
	if err != nil {
		return nil, err
	}
	return nil, ws.SetAttachment(b)
}

func (h *hibernationRoom) Message(_ context.Context, ws *shard.WebSocket, msg shard.Message) error {
	var a sessionAttachment
	if err := json.Unmarshal(ws.Attachment(), &a); err != nil || a.ID == "" {
		a.ID = ws.ID() // a socket re-announced without its attachment
	}
	out := shard.Text(fmt.Sprintf("[Durable Object] message: %s, from: %s. Total connections: %d", msg.Data, a.ID, h.state.ConnectionCount()))
	if err := ws.Send(out); err != nil {
		return err
	}
	if err := h.state.Broadcast(out); err != nil {
		return err
	}
	return h.state.BroadcastExcept(out, ws)
}
