package bench

import "errors"

var (
	// ErrBadPayload means a frame did not carry a well-formed harness payload.
	ErrBadPayload = errors.New("bench: malformed payload")
	// ErrUnexpectedFrame means a frame did not match the target's protocol texts.
	ErrUnexpectedFrame = errors.New("bench: unexpected frame")
	// ErrNoConnections means a scenario could not establish any connection.
	ErrNoConnections = errors.New("bench: no connection established")
	// ErrBadConfig means a scenario or target configuration is invalid.
	ErrBadConfig = errors.New("bench: invalid configuration")
	// ErrNotConnected means a member had no live connection to send on.
	ErrNotConnected = errors.New("bench: member not connected")
)
