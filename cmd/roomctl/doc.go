// Command roomctl operates a roomshard cluster over the AdminService gRPC
// API of any node: members, ring, room placement, rooms, publishing,
// closing sockets, draining shards and watching changes. `roomctl dev`
// runs a whole local cluster in one process.
//
// Flags may stand before or after the positional arguments; run
// `roomctl help` for the commands and flags. Nothing here keeps state
// between invocations, and run may be called concurrently from tests.
package main
