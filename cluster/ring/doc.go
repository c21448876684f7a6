// Package ring places rooms on shards by consistent hashing with virtual
// nodes.
//
// A Ring is an immutable value: membership changes build a new Ring with New
// and swap it in (for example through an atomic.Pointer). Every method is
// safe to call concurrently. The same node set gives the same ring, and the
// same Version, on every process.
package ring
