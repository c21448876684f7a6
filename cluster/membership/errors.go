package membership

import "errors"

var (
	// ErrNoName reports a Config without a node name.
	ErrNoName = errors.New("membership: node name is empty")
	// ErrMetaTooLarge reports metadata above memberlist's limit.
	ErrMetaTooLarge = errors.New("membership: node metadata exceeds memberlist's limit")
)
