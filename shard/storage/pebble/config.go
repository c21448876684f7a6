package pebble

import (
	"log/slog"

	"github.com/roomshard/roomshard/shard/storage"
)

// Config describes a pebble store. Zero fields take the defaults documented
// on each. When several handles open one directory, the first Open's Config
// is the one in force.
type Config struct {
	// Path is the data directory, created if missing. Required.
	Path string
	// GroupCommit configures how concurrent commits share a sync. Default:
	// grouping on, see storage.GroupCommit.
	GroupCommit storage.GroupCommit
	// CacheSize is Pebble's block cache in bytes. Default 64 MiB.
	CacheSize int64
	// Logger receives Pebble's log lines (informational ones at debug
	// level). Default slog.Default().
	Logger *slog.Logger
}

const defaultCacheSize = 64 << 20

func (c *Config) ensureDefaults() {
	if c.CacheSize <= 0 {
		c.CacheSize = defaultCacheSize
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}
