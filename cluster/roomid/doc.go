// Package roomid derives and checks room ids and names (SPEC §3).
//
// An id is 64 lowercase hex characters: SHA-256 of the namespace and name for
// named rooms (Durable Objects' idFromName), or random for unique rooms
// (newUniqueId). All functions are pure and safe to call concurrently.
package roomid
