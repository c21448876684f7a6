package shard

import (
	"context"
	"fmt"
	"sync/atomic"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// Conn is one gateway stream attached to a room: the gateway-to-shard
// side. Handle and Detach are called by the stream's reader; Conn is safe
// for concurrent use.
type Conn struct {
	r        *room
	l        *link
	detached atomic.Bool
}

// RoomID is the id of the room the stream is attached to.
func (c *Conn) RoomID() string { return c.r.id }

// Handle queues a batch of gateway frames for the room, in order, waiting
// while the room's inbox is full. Malformed frames return an error
// wrapping ErrBadFrame, and nothing of the batch is queued; frames naming a
// socket the stream does not hold make the room drop the stream (its
// Outbound is closed with an error wrapping ErrUnknownSocket).
func (c *Conn) Handle(ctx context.Context, frames []*roomshardv1.GatewayFrame) error {
	if err := checkFrames(frames); err != nil {
		return err
	}
	if len(frames) == 0 {
		return nil
	}
	return c.r.enqueue(ctx, func() { c.r.onFrames(c.l, frames) })
}

// TryHandle is Handle that never waits: when the room's inbox is full it
// queues nothing and returns false, so a caller serving many rooms from
// one goroutine can hand just this room to a goroutine that may wait.
func (c *Conn) TryHandle(frames []*roomshardv1.GatewayFrame) (queued bool, err error) {
	if err := checkFrames(frames); err != nil {
		return false, err
	}
	if len(frames) == 0 {
		return true, nil
	}
	return c.r.tryEnqueue(func() { c.r.onFrames(c.l, frames) })
}

// Detach tells the room the stream ended: normally (err nil, the gateway
// half-closed) or broken. Sockets still on the stream get their close
// handler with 1006, then the stream's Outbound is closed. Idempotent.
func (c *Conn) Detach(err error) {
	if !c.detached.CompareAndSwap(false, true) {
		return
	}
	select {
	case c.r.inbox <- func() { c.r.dropLink(c.l, err) }:
	case <-c.r.done:
	}
}

// checkFrames validates the shape of gateway frames after OpenRoom.
func checkFrames(frames []*roomshardv1.GatewayFrame) error {
	for i, f := range frames {
		var id string
		switch x := f.GetFrame().(type) {
		case nil:
			return fmt.Errorf("%w: frame %d is empty", ErrBadFrame, i)
		case *roomshardv1.GatewayFrame_Open:
			return fmt.Errorf("%w: OpenRoom after the stream opened", ErrBadFrame)
		case *roomshardv1.GatewayFrame_Connected:
			if x.Connected.GetSocket() == nil {
				return fmt.Errorf("%w: SocketConnected without a socket", ErrBadFrame)
			}
			id = x.Connected.GetSocket().GetId()
		case *roomshardv1.GatewayFrame_Message:
			id = x.Message.GetSocketId()
		case *roomshardv1.GatewayFrame_Closed:
			id = x.Closed.GetSocketId()
		case *roomshardv1.GatewayFrame_Error:
			id = x.Error.GetSocketId()
		case *roomshardv1.GatewayFrame_AutoResponded:
			id = x.AutoResponded.GetSocketId()
		}
		if err := checkSocketID(id); err != nil {
			return err
		}
	}
	return nil
}

func checkSocketID(id string) error {
	if id == "" || len(id) > maxSocketIDBytes {
		return fmt.Errorf("%w: socket id must be 1..%d bytes", ErrBadFrame, maxSocketIDBytes)
	}
	return nil
}

// checkAnnouncedSocket validates a socket re-announced in OpenRoom.
func checkAnnouncedSocket(s *roomshardv1.Socket) error {
	if err := checkSocketID(s.GetId()); err != nil {
		return err
	}
	if err := checkTags(s.GetTags()); err != nil {
		return fmt.Errorf("%w: socket %q: %w", ErrBadFrame, s.GetId(), err)
	}
	if len(s.GetAttachment()) > MaxAttachmentBytes {
		return fmt.Errorf("%w: socket %q: %w", ErrBadFrame, s.GetId(), ErrAttachmentTooLarge)
	}
	return nil
}
