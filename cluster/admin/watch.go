package admin

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/membership"
	"github.com/roomshard/roomshard/cluster/ring"
)

// WatchCluster implements roomshardv1.AdminServiceServer. The stream starts
// with a RingChanged for the current ring, then sends one event per
// membership or ring change this node sees, until the client cancels or
// Close is called. Changes a slow client misses are dropped, not queued.
func (s *Server) WatchCluster(req *roomshardv1.WatchClusterRequest, stream grpc.ServerStreamingServer[roomshardv1.WatchClusterResponse]) error {
	s.watchers.Add(1)
	defer s.watchers.Add(-1)
	events, unsubscribe := s.cfg.Membership.Subscribe()
	defer unsubscribe()

	ctx := stream.Context()
	if err := stream.Send(ringEvent(s.cfg.Membership.Ring(), time.Now())); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-s.closed:
			return status.Error(codes.Unavailable, ErrClosed.Error())
		case ev := <-events:
			if err := stream.Send(eventProto(ev)); err != nil {
				return err
			}
		}
	}
}

// eventProto converts a membership event to its API form.
func eventProto(ev membership.Event) *roomshardv1.WatchClusterResponse {
	if ev.Kind == "ring" {
		return ringEvent(ev.Ring, ev.At)
	}
	m := memberProto(ev.Member)
	if ev.Kind == "leave" {
		// memberlist does not tell a graceful leave from a death here.
		m.Health = "left"
	}
	return &roomshardv1.WatchClusterResponse{
		Event:    &roomshardv1.WatchClusterResponse_Member{Member: &roomshardv1.MemberChanged{Kind: ev.Kind, Member: m}},
		AtUnixMs: ev.At.UnixMilli(),
	}
}

// ringEvent describes r as a RingChanged event.
func ringEvent(r *ring.Ring, at time.Time) *roomshardv1.WatchClusterResponse {
	rc := &roomshardv1.RingChanged{Version: r.Version()}
	for _, n := range r.Nodes() {
		rc.Shards = append(rc.Shards, n.Name)
	}
	return &roomshardv1.WatchClusterResponse{
		Event:    &roomshardv1.WatchClusterResponse_Ring{Ring: rc},
		AtUnixMs: at.UnixMilli(),
	}
}
