package admin

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/roomid"
)

// NewUniqueId implements roomshardv1.AdminServiceServer: a fresh random
// room id. A namespace, when given, must be one the shards serve.
func (s *Server) NewUniqueId(ctx context.Context, req *roomshardv1.NewUniqueIdRequest) (*roomshardv1.NewUniqueIdResponse, error) {
	if ns := req.GetNamespace(); ns != "" {
		if err := s.checkNamespace(ns); err != nil {
			return nil, err
		}
	}
	id, err := roomid.New()
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &roomshardv1.NewUniqueIdResponse{Id: id}, nil
}
