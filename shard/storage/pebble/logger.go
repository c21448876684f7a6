package pebble

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/cockroachdb/pebble"
)

// logger adapts slog to Pebble's Logger.
type logger struct{ log *slog.Logger }

var _ pebble.Logger = logger{}

func (l logger) Infof(format string, args ...any) {
	l.log.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}

// Fatalf must not return (Pebble's contract: it reports unrecoverable
// corruption), so it panics after logging.
func (l logger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.Log(context.Background(), slog.LevelError+4, msg, "component", "pebble")
	panic("pebble storage: " + msg)
}
