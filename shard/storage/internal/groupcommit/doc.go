// Package groupcommit runs a durable backend's committer: one goroutine that
// collects concurrent requests into groups and hands each group to a flush
// function that writes it with one sync. It owns that goroutine; Close stops
// it after flushing every request it accepted.
//
// Do and Close are safe to call concurrently. Flush is only ever called from
// the committer goroutine, one group at a time, so state touched only by
// flush needs no lock.
package groupcommit
