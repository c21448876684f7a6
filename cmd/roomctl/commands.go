package main

import (
	"context"
	"flag"
	"io"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// command is one roomctl subcommand.
type command struct {
	name    string
	args    string // positional arguments, as shown in usage
	summary string
	// setup defines the command's own flags on fs and returns what runs it.
	// nil for a command without flags of its own that uses noFlags.
	setup func(fs *flag.FlagSet) runner
	// raw, when set, runs the command with its arguments untouched: it
	// parses its own flags and needs no connection (dev).
	raw func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// runner runs a command against a node with its positional arguments.
type runner func(ctx context.Context, e *env, args []string) error

// env is what a running command uses.
type env struct {
	client  roomshardv1.AdminServiceClient
	stdout  io.Writer
	stderr  io.Writer
	json    bool
	timeout time.Duration
}

// call returns a context bounded by --timeout for one call.
func (e *env) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.timeout)
}

// commands lists roomctl's subcommands in the order help shows them. dev
// is the registration point for runDev (dev.go).
func commands() []*command {
	return []*command{
		{name: "dev", args: "[flags]", summary: "run a local cluster (1 gateway, 3 shards) in this process", raw: runDev},
		{name: "members", summary: "list the cluster's members", setup: noFlags(runMembers)},
		{name: "ring", summary: "show the ring: shards and their shares", setup: noFlags(runRing)},
		{name: "locate", args: "NAMESPACE NAME | ID", summary: "show the id of a room and the shard that owns it", setup: noFlags(runLocate)},
		{name: "rooms", summary: "list the rooms the shards hold", setup: setupRooms},
		{name: "room", args: "ID | NAMESPACE NAME", summary: "describe a room and its sockets", setup: noFlags(runRoom)},
		{name: "publish", args: "NAMESPACE NAME MESSAGE", summary: "send MESSAGE, as is, to every socket of a room", setup: setupPublish},
		{name: "kick", args: "NAMESPACE NAME [SOCKET...]", summary: "close some or all sockets of a room", setup: setupKick},
		{name: "drain", args: "SHARD", summary: "drain a shard: its rooms move away and it exits", setup: noFlags(runDrain)},
		{name: "watch", summary: "stream membership and ring changes until interrupted", setup: noFlags(runWatch)},
		{name: "new-id", args: "[NAMESPACE]", summary: "print a new unique room id", setup: noFlags(runNewID)},
		{name: "token", args: "--secret S --sub USER [--ttl 1h] [--ns NS] [--room NAME]", summary: "mint a connect token for gateways with --auth-secret", raw: runToken},
	}
}

// findCommandNamed returns the command called name, or nil.
func findCommandNamed(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// noFlags is setup for a command without flags of its own.
func noFlags(r runner) func(*flag.FlagSet) runner {
	return func(*flag.FlagSet) runner { return r }
}

// wantArgs fails with a usage error unless min <= len(args) <= max
// (max < 0: no upper bound).
func wantArgs(args []string, min, max int, what string) error {
	if len(args) < min || (max >= 0 && len(args) > max) {
		return usagef("want %s, got %d argument(s)", what, len(args))
	}
	return nil
}
