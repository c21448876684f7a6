package backends

import (
	"context"
	"fmt"
	"strings"

	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/memory"
	"github.com/roomshard/roomshard/shard/storage/pebble"
	"github.com/roomshard/roomshard/shard/storage/postgres"
)

// Options tune the backend OpenWith picks; the zero value is the default.
type Options struct {
	// GroupCommit applies to pebble and postgres.
	GroupCommit storage.GroupCommit
	// Node is the shard's name; postgres names its sessions after it.
	Node string
}

// Open opens the backend spec names:
//
//	memory                  a new in-process store (shards sharing data
//	                        must share the returned Backend)
//	pebble:PATH             the embedded store in directory PATH; opening
//	                        one PATH again in the same process returns a
//	                        new handle on the same store (see package pebble)
//	postgres://... or
//	postgresql://...        a PostgreSQL database, migrated on open
//
// Every Backend it returns must be closed.
func Open(ctx context.Context, spec string) (storage.Backend, error) {
	return OpenWith(ctx, spec, Options{})
}

// OpenWith is Open with Options.
func OpenWith(ctx context.Context, spec string, opts Options) (storage.Backend, error) {
	switch {
	case spec == "memory":
		return memory.New(), nil
	case strings.HasPrefix(spec, "pebble:"):
		path := strings.TrimPrefix(spec, "pebble:")
		if path == "" {
			return nil, fmt.Errorf("%w: pebble: needs a directory, as in pebble:./data", ErrUnknownSpec)
		}
		return pebble.Open(ctx, pebble.Config{Path: path, GroupCommit: opts.GroupCommit})
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		return postgres.Open(ctx, postgres.Config{URL: spec, GroupCommit: opts.GroupCommit, Node: opts.Node})
	}
	return nil, fmt.Errorf("%w: got %q", ErrUnknownSpec, redact(spec))
}

// redact keeps a mistyped URL's password out of error messages.
func redact(spec string) string {
	if at := strings.LastIndex(spec, "@"); at >= 0 {
		if scheme := strings.Index(spec, "://"); scheme >= 0 && scheme < at {
			return spec[:scheme+3] + "…" + spec[at:]
		}
	}
	return spec
}
