package gateway

import "errors"

var (
	// ErrBadConfig reports a Config that cannot run (a bad flag value).
	ErrBadConfig = errors.New("gateway: bad config")
	// ErrClosed reports a call on a gateway that is shutting down.
	ErrClosed = errors.New("gateway: shutting down")
	// ErrNoShard reports that no shard is known, so no room can be placed.
	ErrNoShard = errors.New("gateway: no shard available")
	// ErrTooManyRedirects reports a room whose owners kept pointing elsewhere.
	ErrTooManyRedirects = errors.New("gateway: too many redirects")
	// ErrUnknownNamespace reports a namespace no shard binds.
	ErrUnknownNamespace = errors.New("gateway: unknown namespace")
)
