// Package memory is the in-process storage backend (--storage=memory): every
// room's keys in a B-tree, alarms indexed by time, leases in a map, all lost
// when the process exits. Each New returns an independent store; shards that
// must see the same data (several shards in one process) must share one.
//
// A Store is safe for concurrent use: one RWMutex guards all of its state,
// and a commit applies under the write lock, so it is atomic and readers
// never see half of it.
package memory
