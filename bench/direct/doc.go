// Package direct is the harness's baseline server: a minimal single-process
// WebSocket hub with roomshard's room semantics (the echo and broadcast
// texts of SPEC §4, plus a "plain" namespace that relays messages verbatim)
// and the fastest write path we know, so it bounds from above what any
// cluster with a network hop can reach.
//
// Write path: gorilla/websocket does the upgrade and reads; writes bypass
// it. Each outgoing frame is encoded once (a broadcast frame is one []byte
// shared by every recipient, like websocket.PreparedMessage), queued on a
// bounded per-connection queue, and a writer goroutine, started only while
// the queue is non-empty, drains the whole queue with one writev. Pings are
// answered and close frames sent through the same queue, so the writer is
// the only goroutine writing to the socket (gorilla's own protocol-error
// close is the single exception, and the socket is dead right after it).
// A connection whose queue exceeds Config.QueueBytes is closed with 1013.
//
// Concurrency: Hub and Server methods are safe for concurrent use. Lock
// order: Hub.mu, then room.mu, then conn.mu.
package direct
