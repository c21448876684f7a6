// Package membership joins a node to the cluster over hashicorp/memberlist
// and keeps the node's view of it: the members with their metadata, and the
// ring over the active shards.
//
// A Membership is safe to call concurrently. One goroutine, started by Start
// and stopped by Shutdown, rebuilds the member snapshot and the ring whenever
// memberlist reports a change, then wakes the subscribers. Readers load the
// current snapshot with an atomic pointer and never block.
package membership

// Failure detection
//
// Rooms of a dead shard are unavailable (their clients' frames wait at the
// gateways) until every node's ring drops it, so detection time is
// failover time. memberlist (SWIM with Lifeguard) declares a peer dead in
// about
//
//	time to be probed  (up to ProbeInterval per peer, peers probe in turn)
//	+ ProbeInterval     (direct probe, then indirect probes and a TCP ping)
//	+ suspicion timeout (SuspicionMult*ProbeInterval once confirmed, up to
//	                     SuspicionMaxTimeoutMult times that unconfirmed)
//	+ a few GossipIntervals for the dead message to reach everyone.
//
// The defaults (250ms, 125ms, 3, 4, 100ms) give about 1-1.5 s with the
// clusters we run (3-10 nodes) and at most about 3.5 s when no peer
// confirms the suspicion. The cost of shorter timers is false positives: a
// live node that cannot answer a probe within ProbeTimeout (GC pause, a
// loaded 2-core machine, -race) becomes suspect, and is declared dead if it
// cannot refute within the suspicion timeout (about 0.75 s at least). A
// false positive costs little: the node refutes or rejoins, rooms move
// twice without disconnecting clients, and fenced leases keep a room's
// storage single-writer throughout. Lifeguard's awareness (memberlist's
// default AwarenessMaxMultiplier) stretches a node's own probe timeouts
// while it is itself slow to answer, which keeps a loaded node from
// accusing healthy peers. Raise ProbeInterval (and with it every term
// above) for clusters on slow or lossy networks.
//
// Gateways do not wait for memberlist alone: a broken stream or refused
// connection makes a room retry at once with a short backoff, and every
// ring change retries waiting rooms immediately, so a room is served again
// as soon as the new owner's ring gives it the room. Shards never act on a
// gateway's opinion: a shard activates only rooms its own ring gives it.
