package pebble

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
)

// registry maps each open data directory (absolute, cleaned) to the one
// shared store for it in this process. It is the package's only global
// state, and deliberately so: Pebble locks a directory per process, so two
// shards of one process can only use a directory by sharing one DB.
var registry = struct {
	// protects stores and every shared.refs
	mu     sync.Mutex
	stores map[string]*shared
}{stores: make(map[string]*shared)}

// Open opens (or joins, when this process already has it open) the store in
// cfg.Path and returns a new handle on it. Each handle must be closed.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Path == "" {
		return nil, ErrNoPath
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg.ensureDefaults()
	path, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("pebble storage: resolving %q: %w", cfg.Path, err)
	}
	cfg.Path = path

	registry.mu.Lock()
	defer registry.mu.Unlock()
	sh := registry.stores[path]
	if sh == nil {
		if sh, err = openShared(cfg); err != nil {
			return nil, err
		}
		registry.stores[path] = sh
	}
	sh.refs++
	return &Store{shared: sh}, nil
}

// release drops one handle's reference and closes sh with the last one.
// Closing happens under the registry lock, so an Open of the same path
// waits until the directory is free again.
func release(sh *shared) error {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	sh.refs--
	if sh.refs > 0 {
		return nil
	}
	delete(registry.stores, sh.path)
	return sh.close()
}
