package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/internal/groupcommit"
)

// Store is a storage.Backend on a PostgreSQL database.
type Store struct {
	pool          *pgxpool.Pool
	committer     *groupcommit.Committer[*commitRequest]
	commitTimeout time.Duration
	closed        atomic.Bool
}

var _ storage.Backend = (*Store)(nil)

// Open connects to cfg.URL, migrates the schema and starts the committer.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.URL == "" {
		return nil, ErrNoURL
	}
	cfg.ensureDefaults()
	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// pgx's parse errors do not echo the URL, which may hold a password.
		return nil, fmt.Errorf("postgres storage: connecting: %w", err)
	}
	setSessionDefaults(pcfg, cfg.Node)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres storage: connecting: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool, commitTimeout: cfg.CommitTimeout}
	s.committer = groupcommit.Start(cfg.GroupCommit, s.flush)
	return s, nil
}

// Close stops the committer after its last group and closes the pool. It
// is idempotent.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.committer.Close()
	s.pool.Close()
	return nil
}

func (s *Store) check(ctx context.Context) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	return ctx.Err()
}

// wrapErr wraps a non-nil err with what was being done.
func wrapErr(doing string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("postgres storage: %s: %w", doing, err)
}
