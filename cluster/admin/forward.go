package admin

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// target is another node this one calls.
type target struct {
	name string
	addr string // gRPC address
}

// forward calls fn on target's AdminService with the token attached and
// the call bounded by ForwardTimeout. Status errors from the target pass
// through with their code; failing to reach it is Unavailable.
func forward[T any](ctx context.Context, s *Server, t target, fn func(context.Context, roomshardv1.AdminServiceClient) (T, error)) (T, error) {
	var zero T
	if t.addr == "" {
		return zero, status.Errorf(codes.Unavailable, "admin: node %s gossips no gRPC address", t.name)
	}
	c, err := s.peers.client(t.addr, s.isLiveAddr)
	if errors.Is(err, ErrClosed) {
		return zero, status.Error(codes.Unavailable, err.Error())
	}
	if err != nil {
		return zero, status.Error(codes.Internal, err.Error())
	}
	ctx, cancel := context.WithTimeout(s.withToken(ctx), s.cfg.ForwardTimeout)
	defer cancel()
	resp, err := fn(ctx, c)
	if err != nil {
		return zero, forwardError(t, err)
	}
	return resp, nil
}

// forwardError names the node in errors that are about reaching it and
// passes the target's own answers through unchanged.
func forwardError(t target, err error) error {
	st := status.Convert(err)
	switch st.Code() {
	case codes.Unavailable:
		return status.Errorf(codes.Unavailable, "admin: node %s (%s) unreachable: %s", t.name, t.addr, st.Message())
	case codes.DeadlineExceeded:
		return status.Errorf(codes.DeadlineExceeded, "admin: node %s (%s) did not answer in time", t.name, t.addr)
	}
	return st.Err()
}

// isLiveAddr reports whether some current member serves gRPC on addr.
func (s *Server) isLiveAddr(addr string) bool {
	for _, m := range s.cfg.Membership.Members() {
		if m.Meta.GetGrpcAddr() == addr {
			return true
		}
	}
	return false
}

// localError turns an error from Local into a status error: status errors
// keep their code, context errors become Canceled or DeadlineExceeded, and
// anything else is Internal.
func localError(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return status.FromContextError(err).Err()
	}
	return status.Error(codes.Internal, err.Error())
}
