package admin

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// DrainShard implements roomshardv1.AdminServiceServer: the named shard
// marks itself draining. NotFound for an unknown member, InvalidArgument
// for a member that is not a shard.
func (s *Server) DrainShard(ctx context.Context, req *roomshardv1.DrainShardRequest) (*roomshardv1.DrainShardResponse, error) {
	name := req.GetShard()
	if name == "" && !req.GetLocal() {
		return nil, status.Error(codes.InvalidArgument, "admin: name the shard to drain")
	}
	if req.GetLocal() || (name == s.self() && s.cfg.Local != nil) {
		return s.drainLocal(ctx, name)
	}
	t, err := s.shardTarget(name)
	if err != nil {
		return nil, err
	}
	return forward(ctx, s, t, func(ctx context.Context, c roomshardv1.AdminServiceClient) (*roomshardv1.DrainShardResponse, error) {
		return c.DrainShard(ctx, &roomshardv1.DrainShardRequest{Shard: name, Local: true})
	})
}

// drainLocal drains this shard. A forwarded request names the shard it
// meant; a mismatch (another node now on that address) is refused.
func (s *Server) drainLocal(ctx context.Context, name string) (*roomshardv1.DrainShardResponse, error) {
	if s.cfg.Local == nil {
		return nil, status.Error(codes.FailedPrecondition, ErrNotShard.Error())
	}
	if name != "" && name != s.self() {
		return nil, status.Errorf(codes.FailedPrecondition, "admin: asked to drain %s but this node is %s", name, s.self())
	}
	n, err := s.cfg.Local.Drain(ctx)
	if err != nil {
		return nil, localError(err)
	}
	s.cfg.Logger.Info("drain requested through the admin API", "shard", s.self(), "rooms", n)
	return &roomshardv1.DrainShardResponse{Rooms: n}, nil
}
