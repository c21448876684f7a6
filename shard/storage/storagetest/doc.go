// Package storagetest is the conformance suite every storage backend passes:
// reads and writes, List with every option combination, size limits,
// DeleteAll, atomic commits, read-your-writes through storage.View, alarms,
// lease fencing, concurrent commits from many rooms and, for durable
// backends, data surviving Close and reopen.
//
// A backend's test calls Run with a function that opens a fresh, empty
// backend for one test. Run's subtests run in parallel, each on its own
// backend, so the open function must be safe to call concurrently.
package storagetest
