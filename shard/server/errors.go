package server

import "errors"

var (
	// ErrConfig reports an invalid shard configuration.
	ErrConfig = errors.New("shard: invalid configuration")
	// ErrSlowGateway ends a gateway stream whose send queue overflowed.
	ErrSlowGateway = errors.New("shard: gateway stream cannot keep up; send queue full")
	// ErrRoomLimit refuses a new room on a shard holding --max-rooms.
	ErrRoomLimit = errors.New("shard: room limit reached")
)
