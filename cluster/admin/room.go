package admin

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/ring"
)

// GetRoom implements roomshardv1.AdminServiceServer: the owner shard
// describes the room (NotFound when it holds no such room).
func (s *Server) GetRoom(ctx context.Context, req *roomshardv1.GetRoomRequest) (*roomshardv1.GetRoomResponse, error) {
	id, err := s.roomID(req.GetNamespace(), req.GetName(), req.GetId())
	if err != nil {
		return nil, err
	}
	if req.GetLocal() {
		return s.localRoom(ctx, id)
	}
	_, owner, err := s.owner(id)
	if err != nil {
		return nil, err
	}
	var resp *roomshardv1.GetRoomResponse
	if s.isSelf(owner) {
		resp, err = s.localRoom(ctx, id)
	} else {
		resp, err = forward(ctx, s, targetOf(owner), func(ctx context.Context, c roomshardv1.AdminServiceClient) (*roomshardv1.GetRoomResponse, error) {
			return c.GetRoom(ctx, &roomshardv1.GetRoomRequest{Id: id, Local: true})
		})
	}
	if err != nil {
		return nil, err
	}
	resp.Owner = owner.Name
	return resp, nil
}

// localRoom describes a room this shard holds.
func (s *Server) localRoom(ctx context.Context, id string) (*roomshardv1.GetRoomResponse, error) {
	if s.cfg.Local == nil {
		return nil, status.Error(codes.FailedPrecondition, ErrNotShard.Error())
	}
	resp, ok := s.cfg.Local.Room(ctx, id)
	if !ok {
		return nil, status.Errorf(codes.NotFound, "admin: shard %s holds no room %s", s.self(), id)
	}
	resp = proto.CloneOf(resp)
	if resp.Room == nil {
		resp.Room = &roomshardv1.RoomInfo{Id: id}
	}
	if resp.Room.Shard == "" {
		resp.Room.Shard = s.self()
	}
	if resp.Owner == "" {
		if n, ok := s.cfg.Membership.Ring().Owner(id); ok {
			resp.Owner = n.Name
		}
	}
	return resp, nil
}

// Publish implements roomshardv1.AdminServiceServer: the owner shard sends
// data to every socket of the room without running room code.
func (s *Server) Publish(ctx context.Context, req *roomshardv1.PublishRequest) (*roomshardv1.PublishResponse, error) {
	ref, err := s.roomRef(req.GetRoom())
	if err != nil {
		return nil, err
	}
	local := func(ctx context.Context) (*roomshardv1.PublishResponse, error) {
		n, err := s.cfg.Local.Publish(ctx, ref, req.GetData(), req.GetBinary())
		if err != nil {
			return nil, localError(err)
		}
		return &roomshardv1.PublishResponse{Delivered: n}, nil
	}
	return onOwner(ctx, s, ref.GetId(), req.GetLocal(), local, func(ctx context.Context, c roomshardv1.AdminServiceClient) (*roomshardv1.PublishResponse, error) {
		fwd := &roomshardv1.PublishRequest{Room: ref, Data: req.GetData(), Binary: req.GetBinary(), Local: true}
		return c.Publish(ctx, fwd)
	})
}

// CloseSockets implements roomshardv1.AdminServiceServer: the owner shard
// closes the named sockets of the room, or all of them.
func (s *Server) CloseSockets(ctx context.Context, req *roomshardv1.CloseSocketsRequest) (*roomshardv1.CloseSocketsResponse, error) {
	ref, err := s.roomRef(req.GetRoom())
	if err != nil {
		return nil, err
	}
	code, err := closeCode(req.GetCode())
	if err != nil {
		return nil, err
	}
	if len(req.GetReason()) > maxCloseReason {
		return nil, status.Errorf(codes.InvalidArgument, "admin: close reason is %d bytes, at most %d fit a close frame", len(req.GetReason()), maxCloseReason)
	}
	local := func(ctx context.Context) (*roomshardv1.CloseSocketsResponse, error) {
		n, err := s.cfg.Local.CloseSockets(ctx, ref, req.GetSocketIds(), code, req.GetReason())
		if err != nil {
			return nil, localError(err)
		}
		return &roomshardv1.CloseSocketsResponse{Closed: n}, nil
	}
	return onOwner(ctx, s, ref.GetId(), req.GetLocal(), local, func(ctx context.Context, c roomshardv1.AdminServiceClient) (*roomshardv1.CloseSocketsResponse, error) {
		fwd := &roomshardv1.CloseSocketsRequest{Room: ref, SocketIds: req.GetSocketIds(), Code: int32(code), Reason: req.GetReason(), Local: true}
		return c.CloseSockets(ctx, fwd)
	})
}

// onOwner runs local on this node when the request is local or this node
// owns the room, and remote on the owner otherwise.
func onOwner[T any](ctx context.Context, s *Server, id string, isLocal bool,
	local func(context.Context) (T, error),
	remote func(context.Context, roomshardv1.AdminServiceClient) (T, error),
) (T, error) {
	var zero T
	if !isLocal {
		_, owner, err := s.owner(id)
		if err != nil {
			return zero, err
		}
		if !s.isSelf(owner) {
			return forward(ctx, s, targetOf(owner), remote)
		}
	}
	if s.cfg.Local == nil {
		return zero, status.Error(codes.FailedPrecondition, ErrNotShard.Error())
	}
	return local(ctx)
}

// isSelf reports whether n is this node and this node can answer for it.
func (s *Server) isSelf(n ring.Node) bool {
	return n.Name == s.self() && s.cfg.Local != nil
}

func targetOf(n ring.Node) target { return target{name: n.Name, addr: n.Addr} }

// maxCloseReason is the longest close reason a WebSocket close frame holds.
const maxCloseReason = 123

// closeCode applies the default (1000) and refuses codes an endpoint may
// not send (RFC 6455 §7.4).
func closeCode(c int32) (int, error) {
	switch {
	case c == 0:
		return 1000, nil
	case c >= 1000 && c <= 1003, c >= 1007 && c <= 1014, c >= 3000 && c <= 4999:
		return int(c), nil
	}
	return 0, status.Errorf(codes.InvalidArgument, "admin: close code %d cannot be sent (use 1000-1003, 1007-1014 or 3000-4999)", c)
}
