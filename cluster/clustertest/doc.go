// Package clustertest runs real roomshard clusters for tests: it builds the
// real binaries, starts gateway and shard processes on free loopback ports,
// waits for them with a polling helper, and stops them when the test ends.
//
// Nothing here is safe for concurrent use from several goroutines except
// Proc.Logs and Eventually.
package clustertest
