package shard

import (
	"context"
	"fmt"
)

// Class is a room class: what a namespace is bound to (Durable Objects: a
// class exported by a Worker).
type Class struct {
	// Name identifies the class in namespace bindings ("NAME=CLASS").
	Name string
	// New builds the room object for a room. It runs on the room's goroutine,
	// inside the first event that needs the object: once when the room
	// activates and, for hibernatable classes, again after each eviction.
	// It must rebuild in-memory state from s (sockets, attachments, storage).
	New func(s *State) Room
	// Hibernatable lets the runtime evict the room object after the shard's
	// hibernate-after idle time while its sockets stay connected.
	Hibernatable bool
}

// Room is a room object. Handlers run one at a time on the room's goroutine,
// each inside an event: what they send is released after they return. A
// returned error or a panic closes the event's socket with 1011 and is
// logged; the room keeps running.
type Room interface {
	// Message handles one client message (webSocketMessage).
	Message(ctx context.Context, ws *WebSocket, msg Message) error
	// Close handles a socket the client closed or lost (webSocketClose).
	// The socket is already out of State.Sockets; ws.Close answers the
	// client's close frame, otherwise the client's code is echoed.
	Close(ctx context.Context, ws *WebSocket, code int, reason string, wasClean bool) error
	// Error handles a transport error on a socket (webSocketError); the
	// socket is gone.
	Error(ctx context.Context, ws *WebSocket, err error) error
	// Alarm handles the room's alarm.
	Alarm(ctx context.Context) error
}

// Connector is the optional connect hook of a Room. It runs when a client
// socket joins the room, before any of its messages. It returns the socket's
// tags (at most MaxTags, each 1..MaxTagBytes bytes), or refuses the socket
// by returning a *CloseError (see Refuse). Any other error closes it with 1011.
type Connector interface {
	Connect(ctx context.Context, ws *WebSocket) (tags []string, err error)
}

// Message is one WebSocket message.
type Message struct {
	Data   []byte
	Binary bool
}

// Text returns a text message.
func Text(s string) Message { return Message{Data: []byte(s)} }

// Binary returns a binary message holding b (not copied).
func Binary(b []byte) Message { return Message{Data: b, Binary: true} }

// Text returns the message data as a string.
func (m Message) Text() string { return string(m.Data) }

// BaseRoom gives a Room no-op handlers; embed it and override what the room
// needs.
type BaseRoom struct{}

// Message ignores the message.
func (BaseRoom) Message(context.Context, *WebSocket, Message) error { return nil }

// Close does nothing: the client's close code is echoed.
func (BaseRoom) Close(context.Context, *WebSocket, int, string, bool) error { return nil }

// Error ignores the error.
func (BaseRoom) Error(context.Context, *WebSocket, error) error { return nil }

// Alarm ignores the alarm.
func (BaseRoom) Alarm(context.Context) error { return nil }

// CloseError closes a socket with a WebSocket close code. A connect hook
// returns it to refuse a socket.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("shard: socket closed with %d %q", e.Code, e.Reason)
}

// Refuse returns a *CloseError for a connect hook to refuse a socket.
func Refuse(code int, reason string) error { return &CloseError{Code: code, Reason: reason} }

// Close codes the runtime uses.
const (
	CloseNormal         = 1000
	CloseGoingAway      = 1001
	ClosePolicy         = 1008
	CloseAbnormal       = 1006
	CloseInternalError  = 1011
	CloseTryAgainLater  = 1013
	closeReasonRoomFail = "room error"
)
