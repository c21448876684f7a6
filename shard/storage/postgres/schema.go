package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations[i] brings the schema from version i to i+1. Append only.
var migrations = [][]string{
	{
		`CREATE TABLE roomshard_kv (
			room  bytea NOT NULL,
			key   bytea NOT NULL,
			value bytea NOT NULL,
			PRIMARY KEY (room, key)
		)`,
		`CREATE TABLE roomshard_alarms (
			room  bytea PRIMARY KEY,
			at_ms bigint NOT NULL
		)`,
		`CREATE INDEX roomshard_alarms_by_time ON roomshard_alarms (at_ms, room)`,
		`CREATE TABLE roomshard_leases (
			room     bytea PRIMARY KEY,
			epoch    bigint NOT NULL,
			holder   text NOT NULL,
			released boolean NOT NULL
		)`,
	},
}

// migrationLockKey is the advisory lock that serializes migrations of
// shards starting at once: the first 8 bytes of "roomshard" as an int64.
const migrationLockKey = 0x726f6f6d73686172

const migrateAttempts = 5

// migrate brings the schema to the latest version. Concurrent callers (in
// this or other processes) queue on the advisory lock; the later ones find
// nothing to do.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	var err error
	for range migrateAttempts {
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return migrateTx(ctx, tx) })
		if err == nil || !isMigrationRace(err) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("postgres storage: migrating the schema: %w", err)
	}
	return nil
}

func migrateTx(ctx context.Context, tx pgx.Tx) error {
	if err := advisoryLock(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS roomshard_schema_version (
		version integer PRIMARY KEY
	)`); err != nil {
		return fmt.Errorf("creating roomshard_schema_version: %w", err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM roomshard_schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("%w: version %d, this build knows %d", ErrSchemaTooNew, current, len(migrations))
	}
	for version := current + 1; version <= len(migrations); version++ {
		for _, stmt := range migrations[version-1] {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("migration %d: %w", version, err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO roomshard_schema_version (version) VALUES ($1)`, version); err != nil {
			return fmt.Errorf("recording schema version %d: %w", version, err)
		}
	}
	return nil
}

// advisoryLock takes the migration lock until the transaction ends. A
// database without advisory locks (some PostgreSQL-compatible ones) goes
// on unlocked; isMigrationRace then catches the conflicts.
func advisoryLock(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SAVEPOINT before_lock`); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLockKey))
	if err == nil {
		return nil
	}
	if sqlState(err) != "42883" { // undefined_function
		return fmt.Errorf("taking the migration lock: %w", err)
	}
	_, err = tx.Exec(ctx, `ROLLBACK TO SAVEPOINT before_lock`)
	return err
}

// isMigrationRace reports errors from two unlocked migrations colliding.
func isMigrationRace(err error) bool {
	switch sqlState(err) {
	case "40001", "40P01", "23505", "42P07": // serialization, deadlock, unique, duplicate table
		return true
	}
	return false
}

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
