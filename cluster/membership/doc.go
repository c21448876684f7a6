// Package membership joins a node to the cluster over hashicorp/memberlist
// and keeps the node's view of it: the members with their metadata, and the
// ring over the active shards.
//
// A Membership is safe to call concurrently. One goroutine, started by Start
// and stopped by Shutdown, rebuilds the member snapshot and the ring whenever
// memberlist reports a change, then wakes the subscribers. Readers load the
// current snapshot with an atomic pointer and never block.
package membership
