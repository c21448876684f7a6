// Package admintest starts small clusters for tests: real memberlist nodes
// on loopback, each serving the real admin.Server over a real gRPC server
// (with health and reflection), where shards answer for their rooms through
// FakeLocal instead of a room runtime. The admin service's and roomctl's
// tests use it; so can any test that needs "a cluster to ask".
//
// A Cluster is driven from one test goroutine; FakeLocal is safe for
// concurrent use. Everything started is stopped by t.Cleanup.
package admintest
