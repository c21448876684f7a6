package backends

import "errors"

// ErrUnknownSpec reports a --storage value that names no backend.
var ErrUnknownSpec = errors.New(`backends: unknown storage spec; want "memory", "pebble:PATH" or a postgres:// URL`)
