package admin

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/ring"
)

// GetRing implements roomshardv1.AdminServiceServer: the ring over the
// active shards as this node sees it.
func (s *Server) GetRing(ctx context.Context, req *roomshardv1.GetRingRequest) (*roomshardv1.GetRingResponse, error) {
	r := s.cfg.Membership.Ring()
	shares := r.Shares()
	resp := &roomshardv1.GetRingResponse{Version: r.Version(), AnsweredBy: s.self()}
	for _, n := range r.Nodes() {
		resp.Shards = append(resp.Shards, &roomshardv1.RingShard{
			Name:         n.Name,
			GrpcAddr:     n.Addr,
			VirtualNodes: int32(r.VirtualNodes()),
			Share:        shares[n.Name],
		})
	}
	return resp, nil
}

// LocateRoom implements roomshardv1.AdminServiceServer: the shard the ring
// gives a room to, by namespace and name or by id.
func (s *Server) LocateRoom(ctx context.Context, req *roomshardv1.LocateRoomRequest) (*roomshardv1.LocateRoomResponse, error) {
	id, err := s.roomID(req.GetNamespace(), req.GetName(), req.GetId())
	if err != nil {
		return nil, err
	}
	r, owner, err := s.owner(id)
	if err != nil {
		return nil, err
	}
	return &roomshardv1.LocateRoomResponse{
		Id:            id,
		Owner:         owner.Name,
		OwnerGrpcAddr: owner.Addr,
		RingVersion:   r.Version(),
		Namespace:     req.GetNamespace(),
		Name:          req.GetName(),
	}, nil
}

// owner returns the current ring and the shard it gives id to, or
// FailedPrecondition when no shard is active.
func (s *Server) owner(id string) (*ring.Ring, ring.Node, error) {
	r := s.cfg.Membership.Ring()
	n, ok := r.Owner(id)
	if !ok {
		return r, ring.Node{}, status.Error(codes.FailedPrecondition, ErrNoShard.Error())
	}
	return r, n, nil
}
