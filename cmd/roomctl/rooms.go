package main

import (
	"context"
	"flag"
	"fmt"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/roomid"
)

// roomArgs reads "ID" or "NAMESPACE NAME".
func roomArgs(args []string) (namespace, name, id string, err error) {
	switch {
	case len(args) == 1 && roomid.CheckID(args[0]) == nil:
		return "", "", args[0], nil
	case len(args) == 2:
		return args[0], args[1], "", nil
	}
	return "", "", "", usagef("want NAMESPACE NAME or a 64-hex room ID, got %d argument(s)", len(args))
}

// runLocate shows where a room lives.
func runLocate(ctx context.Context, e *env, args []string) error {
	ns, name, id, err := roomArgs(args)
	if err != nil {
		return err
	}
	ctx, cancel := e.call(ctx)
	defer cancel()
	resp, err := e.client.LocateRoom(ctx, &roomshardv1.LocateRoomRequest{Namespace: ns, Name: name, Id: id})
	if err != nil {
		return err
	}
	if e.json {
		return jsonLine(e.stdout, resp)
	}
	t := newTable(e.stdout)
	row(t, "ID", resp.Id)
	if resp.Namespace != "" {
		row(t, "NAMESPACE", resp.Namespace)
		row(t, "NAME", resp.Name)
	}
	row(t, "OWNER", resp.Owner)
	row(t, "OWNER GRPC", orDash(resp.OwnerGrpcAddr))
	row(t, "RING VERSION", version(resp.RingVersion))
	return t.Flush()
}

// setupRooms defines the rooms flags.
func setupRooms(fs *flag.FlagSet) runner {
	req := &roomshardv1.ListRoomsRequest{}
	fs.StringVar(&req.Namespace, "namespace", "", "only rooms of this `namespace`")
	fs.StringVar(&req.Shard, "shard", "", "only rooms on this `shard`")
	limit := fs.Int("limit", 0, "rooms per page, at most 1000 (server default 100)")
	fs.StringVar(&req.PageToken, "page", "", "continue from this page `token` (printed after a page)")
	all := fs.Bool("all", false, "fetch every page")
	return func(ctx context.Context, e *env, args []string) error {
		if err := wantArgs(args, 0, 0, "no arguments"); err != nil {
			return err
		}
		if *limit < 0 || *limit > 1000 {
			return usagef("--limit %d: want 1..1000", *limit)
		}
		req.PageSize = int32(*limit)
		resp, err := listRooms(ctx, e, req, *all)
		if err != nil {
			return err
		}
		if e.json {
			return jsonLine(e.stdout, resp)
		}
		t := newTable(e.stdout)
		row(t, "ID", "NAMESPACE", "NAME", "SHARD", "SOCKETS", "GATEWAYS", "HIBERNATED")
		for _, r := range resp.Rooms {
			row(t, r.Id, orDash(r.Namespace), orDash(r.Name), r.Shard, r.Sockets, r.Gateways, r.Hibernated)
		}
		if err := t.Flush(); err != nil {
			return err
		}
		if len(resp.Unreachable) > 0 {
			fmt.Fprintf(e.stderr, "roomctl: warning: no answer from shards %s; their rooms are missing\n", list(resp.Unreachable))
		}
		if resp.NextPageToken != "" {
			fmt.Fprintf(e.stderr, "more rooms: roomctl rooms --page %s (or --all)\n", resp.NextPageToken)
		}
		return nil
	}
}

// listRooms fetches one page, or every page into one answer when all.
func listRooms(ctx context.Context, e *env, req *roomshardv1.ListRoomsRequest, all bool) (*roomshardv1.ListRoomsResponse, error) {
	out := &roomshardv1.ListRoomsResponse{}
	unreachable := map[string]bool{}
	for {
		resp, err := listPage(ctx, e, req)
		if err != nil {
			return nil, err
		}
		out.Rooms = append(out.Rooms, resp.Rooms...)
		for _, s := range resp.Unreachable {
			if !unreachable[s] {
				unreachable[s] = true
				out.Unreachable = append(out.Unreachable, s)
			}
		}
		out.NextPageToken = resp.NextPageToken
		if !all || resp.NextPageToken == "" {
			return out, nil
		}
		req.PageToken = resp.NextPageToken
	}
}

func listPage(ctx context.Context, e *env, req *roomshardv1.ListRoomsRequest) (*roomshardv1.ListRoomsResponse, error) {
	ctx, cancel := e.call(ctx)
	defer cancel()
	return e.client.ListRooms(ctx, req)
}

// runRoom describes a room.
func runRoom(ctx context.Context, e *env, args []string) error {
	ns, name, id, err := roomArgs(args)
	if err != nil {
		return err
	}
	ctx, cancel := e.call(ctx)
	defer cancel()
	resp, err := e.client.GetRoom(ctx, &roomshardv1.GetRoomRequest{Namespace: ns, Name: name, Id: id})
	if err != nil {
		return err
	}
	if e.json {
		return jsonLine(e.stdout, resp)
	}
	r := resp.GetRoom()
	t := newTable(e.stdout)
	row(t, "ID", r.GetId())
	row(t, "NAMESPACE", orDash(r.GetNamespace()))
	row(t, "NAME", orDash(r.GetName()))
	row(t, "SHARD", r.GetShard())
	row(t, "OWNER", resp.Owner)
	row(t, "SOCKETS", r.GetSockets())
	row(t, "GATEWAYS", r.GetGateways())
	row(t, "HIBERNATED", r.GetHibernated())
	row(t, "LEASE EPOCH", r.GetLeaseEpoch()) // 0: no storage lease taken on this shard
	if err := t.Flush(); err != nil {
		return err
	}
	if len(resp.Sockets) == 0 {
		return nil
	}
	fmt.Fprintln(e.stdout)
	t = newTable(e.stdout)
	row(t, "SOCKET", "GATEWAY", "TAGS", "CONNECTED", "ACCEPTED", "ATTACHMENT", "IDENTITY")
	for _, s := range resp.Sockets {
		row(t, s.Id, orDash(s.Gateway), list(s.Tags), unixMs(s.ConnectedAtUnixMs), s.Accepted, fmt.Sprintf("%dB", len(s.Attachment)), orDash(s.Identity))
	}
	return t.Flush()
}

// runNewID prints a new unique id.
func runNewID(ctx context.Context, e *env, args []string) error {
	if err := wantArgs(args, 0, 1, "at most a NAMESPACE"); err != nil {
		return err
	}
	req := &roomshardv1.NewUniqueIdRequest{}
	if len(args) == 1 {
		req.Namespace = args[0]
	}
	ctx, cancel := e.call(ctx)
	defer cancel()
	resp, err := e.client.NewUniqueId(ctx, req)
	if err != nil {
		return err
	}
	if e.json {
		return jsonLine(e.stdout, resp)
	}
	_, err = fmt.Fprintln(e.stdout, resp.Id)
	return err
}
