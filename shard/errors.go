package shard

import "errors"

var (
	// ErrOutsideEvent reports a send or state change made outside the room's
	// handlers (for example from a goroutine the room started).
	ErrOutsideEvent = errors.New("shard: called outside a room event")
	// ErrSocketClosed reports a send to a socket that is closed or closing.
	ErrSocketClosed = errors.New("shard: socket is closed")
	// ErrTooManyTags reports more than MaxTags tags for a socket.
	ErrTooManyTags = errors.New("shard: too many tags")
	// ErrTagTooLong reports a tag longer than MaxTagBytes or an empty tag.
	ErrTagTooLong = errors.New("shard: tag is empty or too long")
	// ErrAttachmentTooLarge reports an attachment above MaxAttachmentBytes.
	ErrAttachmentTooLarge = errors.New("shard: attachment too large")
	// ErrAutoResponseTooLarge reports an auto-response request or response above MaxAutoResponseBytes.
	ErrAutoResponseTooLarge = errors.New("shard: auto-response too large")
	// ErrBadCloseCode reports a close code a room may not send, or a reason above 123 bytes.
	ErrBadCloseCode = errors.New("shard: invalid close code or reason")
	// ErrPanic wraps a panic recovered from room code.
	ErrPanic = errors.New("shard: room code panicked")
	// ErrReservedKey reports a storage key starting with 0xff 0xff, a range
	// the runtime keeps for its own record in each room.
	ErrReservedKey = errors.New("shard: storage keys starting with 0xff 0xff are reserved")

	// ErrUnknownNamespace reports a namespace no class is bound to.
	ErrUnknownNamespace = errors.New("shard: unknown namespace")
	// ErrBadRoom reports a room reference with a malformed or mismatched id or name.
	ErrBadRoom = errors.New("shard: invalid room reference")
	// ErrBadFrame reports a gateway frame that is empty, misplaced or malformed.
	ErrBadFrame = errors.New("shard: invalid gateway frame")
	// ErrUnknownSocket reports a gateway frame naming a socket the room does not hold on that stream.
	ErrUnknownSocket = errors.New("shard: unknown socket")
	// ErrDuplicateSocket reports a socket id the room already holds.
	ErrDuplicateSocket = errors.New("shard: duplicate socket id")
	// ErrSuperseded ends a gateway stream replaced by a newer stream of the same gateway.
	ErrSuperseded = errors.New("shard: stream superseded by a newer stream from the same gateway")
	// ErrClosed reports a call on a Host that is shutting down.
	ErrClosed = errors.New("shard: host is closed")
	// ErrRoomStopped reports a call on a room that has stopped.
	ErrRoomStopped = errors.New("shard: room stopped")
	// ErrNoLease reports that the room's storage lease could not be taken
	// (storage unreachable or slow): the room does not run here for now.
	ErrNoLease = errors.New("shard: cannot take the room's storage lease")
	// ErrBadBinding reports a malformed namespace binding or class.
	ErrBadBinding = errors.New("shard: invalid namespace binding")
)
