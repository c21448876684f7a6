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
// an actor: its events wait in the room's queue and run one at a time, in
// arrival order, on at most one goroutine at a time. That goroutine exists
// only while the room has something to do: the first event queued to an
// idle room starts one, and it leaves when the queue is empty, so an idle
// room (hibernated or not) holds no goroutine, and a hibernated one little
// more than its socket registry. Timers (hibernation, alarms) post wakes
// to the queue rather than wait on a goroutine.
//
// Every event runs inside an event object that collects the frames the
// handler sent (the outbox); after the handler returns, the event's
// storage writes are committed and only then is the outbox released to
// the gateway streams (Durable Objects' output gate).
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
// # Storage
//
// State.Storage is the room's durable key-value store (SPEC §6; Durable
// Objects' storage API): Get, GetMany, Put, PutMany, Delete, DeleteMany,
// List, DeleteAll, Transaction, and one alarm (SetAlarm, GetAlarm,
// DeleteAlarm). Keys are at most 2 KiB, values 128 KiB; keys starting
// with 0xff 0xff are the runtime's (it keeps each room's namespace, name
// and alarm retry count there).
//
// Every event is an implicit transaction: its writes are buffered (reads
// see them) and commit atomically after the handler returns; the frames it
// sent are released only once that commit is durable (output gate). As in
// Durable Objects, a handler that fails still commits what it wrote;
// Storage.Transaction undoes its writes when its function fails. An event
// that wrote nothing commits nothing. A failed commit drops the event's
// messages (not its closes or tags, which the registry already applied)
// and rebuilds the room object from storage on the next event; sockets
// stay open.
//
// Commits are fenced (storage.Lease): a room takes its lease at its first
// storage access after activation (durable.go), which makes the previous
// holder's commits visible and fails any later one with ErrFenced; a
// fenced room stops and its gateways re-open it on the owner. Rooms whose
// class never touches storage take no lease and never commit.
//
// Alarms (alarm.go, alarmscan.go) fire at least once, on whichever shard
// owns the room then: an active room arms a timer when it commits an
// alarm, and each Host scans its store every AlarmScanInterval for alarms
// due soon among the rooms its ring gives it, activating rooms that have
// no sockets to run them. A failed alarm handler is retried after 2 s,
// doubling, up to 6 times.
//
// Package shardtest drives rooms through this runtime with a fake gateway
// stream, for tests of room classes.
package shard
