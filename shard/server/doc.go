// Package server is the shard process: it parses the shard's flags, joins
// the cluster as role shard, runs rooms on a shard.Host and serves the
// ShardService (gateway room streams), the AdminService and the ops HTTP
// endpoints.
//
// A Server is safe for concurrent use; Shutdown may be called once from any
// goroutine. Every goroutine the package starts is stopped by Shutdown.
// Service (the ShardService) owns, per Link, one writer (the gRPC handler's
// goroutine), one reader goroutine, and a feeder goroutine for a room
// stream only while its room's inbox is full; per Room RPC, one writer and
// one reader. All end with their RPC.
package server
