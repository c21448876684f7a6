// Package postgres is the shared storage backend (--storage=postgres://...):
// any number of shard processes use one PostgreSQL database, and rooms move
// between them under fenced leases.
//
// Open creates or migrates the schema (tables roomshard_*, version in
// roomshard_schema_version) under an advisory lock, so shards may start at
// once. Keys and room ids are bytea, which PostgreSQL compares bytewise, so
// List order is byte order regardless of collation.
//
// Commits go through one committer goroutine per Store that writes each
// group of commits in one transaction (one WAL flush). The transaction
// first locks the lease rows of its rooms (SELECT ... FOR UPDATE, in room
// order so concurrent processes cannot deadlock) and writes only the
// commits whose epoch is still current; AcquireLease updates the same row,
// so it waits for a commit in flight and then fences the old holder.
//
// The SQL sticks to what PostgreSQL-compatible distributed databases accept
// (ON CONFLICT upserts, = ANY(array), SELECT ... FOR UPDATE, transactional
// DDL). The one PostgreSQL-specific call is pg_advisory_xact_lock during
// migration; where it is missing, migration runs without it and retries on
// conflicts instead. Serialization failures are retried.
//
// A Store is safe for concurrent use.
package postgres
