package pebble

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble"

	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/internal/groupcommit"
)

// Store is one handle on a shared pebble store; it implements
// storage.Backend.
type Store struct {
	shared *shared
	closed atomic.Bool
}

var _ storage.Backend = (*Store)(nil)

// shared is the one open DB of a directory, used by every handle on it.
type shared struct {
	path      string
	committer *groupcommit.Committer[*request]
	refs      int // guarded by registry.mu

	// protects closed and db's lifetime: reads hold it shared, so the DB
	// cannot close under an iterator
	mu     sync.RWMutex
	closed bool
	db     *pebble.DB
}

func openShared(cfg Config) (*shared, error) {
	if err := os.MkdirAll(cfg.Path, 0o755); err != nil {
		return nil, fmt.Errorf("pebble storage: creating %s: %w", cfg.Path, err)
	}
	cache := pebble.NewCache(cfg.CacheSize)
	defer cache.Unref()
	db, err := pebble.Open(cfg.Path, &pebble.Options{Cache: cache, Logger: logger{cfg.Logger}})
	if err != nil {
		return nil, fmt.Errorf("pebble storage: opening %s: %w", cfg.Path, err)
	}
	if err := checkFormat(db, cfg.Path); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	sh := &shared{path: cfg.Path, db: db}
	sh.committer = groupcommit.Start(cfg.GroupCommit, sh.flush)
	return sh, nil
}

// checkFormat stamps a new store with formatVersion and refuses others.
func checkFormat(db *pebble.DB, path string) error {
	value, found, err := getCopy(db, formatKey)
	switch {
	case err != nil:
		return fmt.Errorf("pebble storage: reading the format version in %s: %w", path, err)
	case !found:
		return wrapErr("stamping the format version in "+path, db.Set(formatKey, []byte(formatVersion), pebble.Sync))
	case string(value) != formatVersion:
		return fmt.Errorf("%w in %s: version %q, want %q", ErrFormat, path, value, formatVersion)
	}
	return nil
}

// close stops the committer after its last group, then closes the DB once
// no read is in flight.
func (sh *shared) close() error {
	sh.committer.Close()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.closed = true
	if err := sh.db.Close(); err != nil {
		return fmt.Errorf("pebble storage: closing %s: %w", sh.path, err)
	}
	return nil
}

// Path returns the store's absolute data directory.
func (s *Store) Path() string { return s.shared.path }

// Close releases this handle; the last handle closes the store. It is
// idempotent.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return release(s.shared)
}

// withDB runs fn with the DB held open, or returns ErrClosed.
func (s *Store) withDB(fn func(db *pebble.DB) error) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	s.shared.mu.RLock()
	defer s.shared.mu.RUnlock()
	if s.shared.closed {
		return storage.ErrClosed
	}
	return fn(s.shared.db)
}
