package direct

import (
	"log/slog"
	"time"
)

// Config tunes the hub. The zero value is usable: ensureDefaults fills it.
type Config struct {
	// QueueBytes bounds the bytes queued for one connection; beyond it the
	// connection is closed with 1013 (slow consumer). Default 8 MiB.
	QueueBytes int
	// WriteTimeout bounds one writev to a connection. Default 10s.
	WriteTimeout time.Duration
	// ReadLimit is the largest message accepted (1009 beyond). Default 1 MiB.
	ReadLimit int64
	// DefaultNamespace serves /websocket and /rooms/{name}/... Default "broadcast".
	DefaultNamespace string
	// Logger receives errors. Default slog.Default().
	Logger *slog.Logger
}

func (c *Config) ensureDefaults() {
	if c.QueueBytes <= 0 {
		c.QueueBytes = 8 << 20
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.ReadLimit <= 0 {
		c.ReadLimit = 1 << 20
	}
	if c.DefaultNamespace == "" {
		c.DefaultNamespace = "broadcast"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}
