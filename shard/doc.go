// Package shard is the room programming API (Durable Objects' WebSocket API
// in Go) and the runtime that runs rooms on one shard node.
//
// A room class is a Class: a name, a constructor taking the room's *State,
// and whether its sockets are hibernatable. A room implements Room (message,
// close, error and alarm handlers) and optionally Connector (the connect
// hook). Register classes with a shard process (see shard/server) and bind
// namespaces to them.
//
// The runtime is a Host: it owns the active rooms of one node. Each room is
// an actor: one goroutine owns the room's state and runs its events one at a
// time, in arrival order. Every event runs inside an event object that
// collects the frames the handler sent (the outbox); after the handler
// returns, the event's storage writes are committed and only then is the
// outbox released to the gateway streams (Durable Objects' output gate).
//
// Concurrency: Host and Conn are safe for concurrent use. State and
// WebSocket belong to their room's goroutine: call their methods only from
// the room's constructor and handlers, never from goroutines the room starts.
//
// The socket registry of a room (socket id -> gateway stream, tags,
// attachment, accepted, connected-at, last auto-response, identity) lives
// in the runtime, not in the room object, so a hibernatable room's object
// can be evicted while its sockets stay known; it is rebuilt by its
// constructor on the next event.
//
// Hooks for storage and alarms (issue 3), all on the room's goroutine:
// room.activate runs before a room's first event (take the fenced lease,
// load the alarm); event.go's room.commit runs after every handler and
// before room.release hands the outbox to the gateway streams; room.alarm
// is the timer run selects on, firing room.onAlarm.
//
// Package shardtest drives rooms through this runtime with a fake gateway
// stream, for tests of room classes.
package shard
