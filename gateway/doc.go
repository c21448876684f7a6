// Package gateway is the roomshard gateway process: it terminates client
// WebSockets and HTTP, joins the cluster as role gateway, and routes each room
// to the one shard that owns it over a room stream, carried with the other
// rooms' streams to that shard by one ShardService.Link.
//
// It owns:
//   - Config and ParseConfig (SPEC §1 gateway flags, ROOMSHARD_* env);
//   - the HTTP routes of SPEC §2, the origin check and the demo page;
//   - client sockets, each with a bounded send queue (overflow closes
//     1013). Frames are written in place, by whoever queued them (the room
//     actor for a batch of shard frames reaching few sockets, such as an
//     echo; the reader for a pong; the keepalive timer for a ping), with
//     one non-blocking writev while the socket takes them. A writer
//     goroutine takes what a full socket leaves, large broadcasts and the
//     close, and lingers while its client stays busy. A reader goroutine
//     runs while its client talks; after readerLinger of quiet it parks
//     the socket in the gateway's idle poller (one epoll set) and ends, and
//     the poller starts a reader again when the client sends. An idle
//     connection thus holds no goroutine, no write buffer and a 288-byte
//     read buffer; a timer per client pings it and drops it after two
//     silent intervals;
//   - room actors: one goroutine per room with local sockets, owning the
//     room's socket state (tags, attachments, auto-response) and its single
//     room stream, which it re-opens on redirects, moves and shard failures
//     while buffering client frames in order;
//   - Links: one ShardService.Link per shard, carrying every room stream to
//     it; one writer goroutine and one reader per Link, and a feeder
//     goroutine for a room stream only while its actor's inbox is full;
//   - a cache of gRPC client connections to shards, shared by all rooms;
//   - the node's metrics, membership, gRPC server (admin) and ops endpoints.
//
// Goroutine safety: a Gateway's exported methods are safe for concurrent
// use. Inside, a room's state is touched only by its actor goroutine; other
// goroutines talk to it by posting closures to its inbox. A client's send
// queue is guarded by its own mutex and may be fed from any goroutine.
//
// Locks (rooms.mu, client.mu, outbox.mu, dialer.mu, stream.mu,
// idlePoller.mu) are leaves except links.mu, taken before a link's mu or
// dialer.mu, and a stream's mu, held while offering frames to its actor
// without waiting. None is held while blocking on a channel or posting to
// an actor (an in-place write releases client.mu around its non-blocking
// writev; parking a socket takes only idlePoller.mu). The
// only blocking edges are posts to a room's inbox (from client readers,
// stream readers and timers), and the actor never blocks on any of those:
// stream reports give up once the actor stops the stream.
package gateway
