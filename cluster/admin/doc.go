// Package admin serves roomshard.v1.AdminService, the operator API every
// node runs (gateways and shards alike). Any node answers for the whole
// cluster: members and the ring come from its own membership view; rooms are
// listed by asking every shard (requests with local set) over gRPC; room
// operations and drains are forwarded to the shard that owns the room or is
// named. A shard plugs in its own part through the Local interface.
//
// It owns: the AdminService handlers, the bearer-token check (Register
// enforces it, and UnaryInterceptor/StreamInterceptor offer the same check to
// a process that wants it before decoding), and a cache of client
// connections to other nodes, closed by Close.
//
// A Server is safe for concurrent use by any number of gRPC handler
// goroutines. It starts no goroutine of its own; ListRooms fans out on
// goroutines it waits for before returning. Close ends every WatchCluster
// stream, so call it before the gRPC server's GracefulStop.
package admin
