// Package server is the shard process: it parses the shard's flags, joins
// the cluster as role shard, runs rooms on a shard.Host and serves the
// ShardService (gateway room streams), the AdminService and the ops HTTP
// endpoints.
//
// A Server is safe for concurrent use; Shutdown may be called once from any
// goroutine. Every goroutine the package starts is stopped by Shutdown.
// Service (the ShardService) owns one writer per room stream, run on the
// gRPC handler's goroutine, and one reader goroutine that ends with the
// stream.
package server
