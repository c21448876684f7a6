// Package storage defines the durable per-room key-value store behind rooms
// (SPEC §6): the Backend interface every store implements, the Batch a room's
// event handler writes into, and the read-your-writes View that lets the
// handler read its own buffered writes over the backend.
//
// The model. Every room is an actor that runs one event at a time. While a
// handler runs, its writes go into a Batch (puts, deletes, DeleteAll and one
// alarm change). When it returns, the runtime calls Backend.Commit, which
// applies the whole Batch atomically and durably, or not at all. Commits are
// fenced: each is conditional on a Lease that AcquireLease handed out and that
// no later AcquireLease for the same room has superseded, so a shard that lost
// a room can no longer write to it (ErrFenced).
//
// Backends live in subpackages (memory, pebble, postgres); backends.Open picks
// one from a --storage spec, and storagetest is the conformance suite every
// backend passes.
//
// Concurrency: Backend methods are safe to call concurrently. A Batch is not:
// it belongs to the one room handler filling it. Values handed to Batch.Put are
// copied; values returned by reads are the caller's to keep.
package storage
