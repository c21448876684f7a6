// Package pebble is the embedded, durable storage backend
// (--storage=pebble:PATH, the default), on CockroachDB's Pebble.
//
// One process opens a directory once: Open returns a handle onto a
// process-wide, reference-counted store per directory, so the shards of one
// process (roomctl dev runs three) share one database, one committer and
// therefore one fsync per group of commits. The last handle's Close closes
// the database. Two processes cannot share a directory (Pebble locks it).
//
// Writes (commits, lease changes) go through one committer goroutine, which
// makes the lease check and the write one step: a commit is checked against
// the room's current epoch and written in the same group, and a group is
// one Pebble batch with one sync. Reads go to Pebble directly and see every
// acknowledged commit.
//
// A Store is safe for concurrent use. Lock order: the registry's lock, then
// a shared store's lock.
package pebble
