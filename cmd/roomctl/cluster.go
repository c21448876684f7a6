package main

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// runMembers lists the members.
func runMembers(ctx context.Context, e *env, args []string) error {
	if err := wantArgs(args, 0, 0, "no arguments"); err != nil {
		return err
	}
	ctx, cancel := e.call(ctx)
	defer cancel()
	resp, err := e.client.ListMembers(ctx, &roomshardv1.ListMembersRequest{})
	if err != nil {
		return err
	}
	if e.json {
		return jsonLine(e.stdout, resp)
	}
	t := newTable(e.stdout)
	row(t, "NAME", "ROLE", "STATE", "HEALTH", "GRPC", "HTTP", "GOSSIP", "NAMESPACES")
	for _, m := range resp.Members {
		row(t, m.Name, roleWord(m.Role), stateWord(m.State), m.Health, orDash(m.GrpcAddr), orDash(m.HttpAddr), orDash(m.GossipAddr), bindings(m.Namespaces))
	}
	return t.Flush()
}

// runRing shows the ring.
func runRing(ctx context.Context, e *env, args []string) error {
	if err := wantArgs(args, 0, 0, "no arguments"); err != nil {
		return err
	}
	ctx, cancel := e.call(ctx)
	defer cancel()
	resp, err := e.client.GetRing(ctx, &roomshardv1.GetRingRequest{})
	if err != nil {
		return err
	}
	if e.json {
		return jsonLine(e.stdout, resp)
	}
	if len(resp.Shards) == 0 {
		_, err := fmt.Fprintf(e.stdout, "ring is empty: no active shard (answered by %s)\n", resp.AnsweredBy)
		return err
	}
	fmt.Fprintf(e.stdout, "ring version %s, %d shards (answered by %s)\n\n", version(resp.Version), len(resp.Shards), resp.AnsweredBy)
	t := newTable(e.stdout)
	row(t, "SHARD", "GRPC", "VNODES", "SHARE")
	for _, s := range resp.Shards {
		row(t, s.Name, orDash(s.GrpcAddr), s.VirtualNodes, fmt.Sprintf("%.1f%%", 100*s.Share))
	}
	return t.Flush()
}

// runWatch prints cluster changes until ctx ends (Ctrl-C).
func runWatch(ctx context.Context, e *env, args []string) error {
	if err := wantArgs(args, 0, 0, "no arguments"); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := e.client.WatchCluster(ctx, &roomshardv1.WatchClusterRequest{})
	if err != nil {
		return err
	}
	for {
		ev, err := stream.Recv()
		if err != nil {
			if ctx.Err() != nil && status.Code(err) == codes.Canceled {
				return nil // interrupted: the normal way to stop watching
			}
			return err
		}
		if e.json {
			err = jsonLine(e.stdout, ev)
		} else {
			err = watchLine(e, ev)
		}
		if err != nil {
			return err
		}
	}
}

// watchLine writes one event as a line of text.
func watchLine(e *env, ev *roomshardv1.WatchClusterResponse) error {
	at := unixMs(ev.AtUnixMs)
	var err error
	switch {
	case ev.GetRing() != nil:
		r := ev.GetRing()
		_, err = fmt.Fprintf(e.stdout, "%s  %-6s  version %s  shards %s\n", at, "ring", version(r.Version), list(r.Shards))
	case ev.GetMember() != nil:
		mc := ev.GetMember()
		m := mc.GetMember()
		_, err = fmt.Fprintf(e.stdout, "%s  %-6s  %s  %s  %s  %s  grpc %s\n", at, mc.Kind, m.GetName(), roleWord(m.GetRole()), stateWord(m.GetState()), m.GetHealth(), orDash(m.GetGrpcAddr()))
	}
	return err
}

// bindings shows "ns=class" bindings, shortened to "ns" where the class
// has the namespace's name (the built-ins).
func bindings(b []string) string {
	out := make([]string, 0, len(b))
	for _, x := range b {
		if ns, class, ok := strings.Cut(x, "="); ok && ns == class {
			x = ns
		}
		out = append(out, x)
	}
	return list(out)
}
