package shard

import (
	"slices"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// WebSocket is a room's handle on one client socket (Durable Objects'
// server-side WebSocket). Call its methods only from the room's handlers.
type WebSocket struct {
	r *room
	s *socket
}

// ID is the socket's session id: the random UUID its gateway assigned.
func (w *WebSocket) ID() string { return w.s.id }

// Identity is the user named by the socket's connect token, or "".
func (w *WebSocket) Identity() string { return w.s.identity }

// ConnectedAt is when the client connected.
func (w *WebSocket) ConnectedAt() time.Time { return w.s.connectedAt }

// Tags returns the tags the connect hook gave the socket.
func (w *WebSocket) Tags() []string { return slices.Clone(w.s.tags) }

// Attachment returns the socket's attachment (DO deserializeAttachment).
func (w *WebSocket) Attachment() []byte { return slices.Clone(w.s.attachment) }

// LastAutoResponse is when the gateway last answered the room's
// auto-response on this socket; zero if never.
func (w *WebSocket) LastAutoResponse() time.Time { return w.s.lastAuto }

// SetAttachment replaces the socket's attachment (DO serializeAttachment).
// It survives hibernation and moves of the room. At most
// MaxAttachmentBytes; nil clears it.
func (w *WebSocket) SetAttachment(b []byte) error {
	if len(b) > MaxAttachmentBytes {
		return ErrAttachmentTooLarge
	}
	if w.r.cur == nil {
		return ErrOutsideEvent
	}
	if w.s.state != sockOpen {
		return ErrSocketClosed
	}
	w.s.attachment = slices.Clone(b)
	w.r.emit(w.s.link, &roomshardv1.ShardFrame{Frame: &roomshardv1.ShardFrame_Attachment{
		Attachment: &roomshardv1.SetAttachment{SocketId: w.s.id, Attachment: w.s.attachment},
	}})
	return nil
}

// Send sends msg to the client once the current event's writes commit.
func (w *WebSocket) Send(msg Message) error {
	if w.r.cur == nil {
		return ErrOutsideEvent
	}
	if w.s.state != sockOpen {
		return ErrSocketClosed
	}
	w.r.sendTo(w.s, slices.Clone(msg.Data), msg.Binary)
	return nil
}

// SendText sends a text message.
func (w *WebSocket) SendText(s string) error { return w.Send(Text(s)) }

// SendBinary sends a binary message.
func (w *WebSocket) SendBinary(b []byte) error { return w.Send(Binary(b)) }

// Close closes the socket with a close code (1000, 1001-1003, 1007-1014 or
// 3000-4999) and a reason of at most 123 bytes. The socket leaves the room at
// once; the close handler does not run for it. In a close handler, closing
// the closing socket chooses the code of the answering close frame.
// Closing a closed socket does nothing.
func (w *WebSocket) Close(code int, reason string) error {
	if err := checkClose(code, reason); err != nil {
		return err
	}
	if w.r.cur == nil {
		return ErrOutsideEvent
	}
	w.r.closeSocket(w.s, code, reason)
	return nil
}
