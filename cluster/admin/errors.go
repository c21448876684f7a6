package admin

import "errors"

// Sentinel errors. Handlers return them inside gRPC status errors.
var (
	// ErrClosed reports a call on a Server after Close.
	ErrClosed = errors.New("admin: server closed")
	// ErrNoShard reports a cluster with no active shard on the ring.
	ErrNoShard = errors.New("admin: no active shard on the ring")
	// ErrNotShard reports a shard-only request (local set) sent to a node
	// that runs no rooms.
	ErrNotShard = errors.New("admin: this node is not a shard")
	// ErrBadPageToken reports a page token this service did not issue.
	ErrBadPageToken = errors.New("admin: malformed page token")
	// ErrUnauthenticated reports a call without the admin bearer token.
	ErrUnauthenticated = errors.New("admin: missing or wrong admin token")
)
