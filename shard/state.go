package shard

import (
	"log/slog"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// State is a room's handle on its runtime (Durable Objects' DurableObjectState).
// The room object gets it in its constructor; it stays valid for the
// room's life, across hibernation. Call its methods only from the room's
// constructor and handlers.
type State struct {
	r *room
}

// ID is the room's id: 64 lowercase hex characters.
func (s *State) ID() string { return s.r.id }

// Name is the room's name, or "" for a room addressed only by id.
func (s *State) Name() string { return s.r.name }

// Namespace is the namespace the room was opened in.
func (s *State) Namespace() string { return s.r.ns }

// Logger returns the room's logger (with room and namespace attributes).
func (s *State) Logger() *slog.Logger { return s.r.logger() }

// Sockets returns the room's open sockets carrying tag, or all of them when
// tag is "", in the order they joined (DO getWebSockets).
func (s *State) Sockets(tag string) []*WebSocket {
	list := s.r.reg.list(tag)
	out := make([]*WebSocket, len(list))
	for i, so := range list {
		out[i] = so.ws
	}
	return out
}

// ConnectionCount is how many sockets the room has, across every gateway.
func (s *State) ConnectionCount() int { return s.r.reg.len() }

// Broadcast sends msg to every socket of the room.
func (s *State) Broadcast(msg Message) error { return s.broadcast(msg, nil, "") }

// BroadcastExcept sends msg to every socket of the room but except.
func (s *State) BroadcastExcept(msg Message, except *WebSocket) error {
	var ex *socket
	if except != nil {
		ex = except.s
	}
	return s.broadcast(msg, ex, "")
}

// BroadcastTag sends msg to every socket carrying tag.
func (s *State) BroadcastTag(tag string, msg Message) error {
	if tag == "" {
		return ErrTagTooLong
	}
	return s.broadcast(msg, nil, tag)
}

func (s *State) broadcast(msg Message, except *socket, tag string) error {
	if s.r.cur == nil {
		return ErrOutsideEvent
	}
	data := append([]byte(nil), msg.Data...)
	if tag != "" {
		s.r.sendToTag(tag, data, msg.Binary)
		return nil
	}
	s.r.sendAll(except, data, msg.Binary)
	return nil
}

// SetAutoResponse makes the gateways answer a text message equal to
// request with response, without waking the room (DO
// setWebSocketAutoResponse). Each is at most MaxAutoResponseBytes; an empty
// request clears the pair.
func (s *State) SetAutoResponse(request, response string) error {
	if len(request) > MaxAutoResponseBytes || len(response) > MaxAutoResponseBytes {
		return ErrAutoResponseTooLarge
	}
	if s.r.cur == nil {
		return ErrOutsideEvent
	}
	if request == "" {
		response = ""
	}
	if request == s.r.autoReq && response == s.r.autoResp {
		return nil // a reconstructed room setting it again changes nothing
	}
	s.r.autoReq, s.r.autoResp = request, response
	for _, l := range s.r.reg.links {
		s.r.emit(l, autoResponseFrame(request, response))
	}
	return nil
}

// AutoResponse returns the room's auto-response pair ("" when none).
func (s *State) AutoResponse() (request, response string) {
	return s.r.autoReq, s.r.autoResp
}

func autoResponseFrame(request, response string) *roomshardv1.ShardFrame {
	return &roomshardv1.ShardFrame{Frame: &roomshardv1.ShardFrame_AutoResponse{
		AutoResponse: &roomshardv1.SetAutoResponse{Request: request, Response: response},
	}}
}
