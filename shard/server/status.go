package server

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/roomshard/roomshard/shard"
)

// toStatus turns an error from the runtime into a gRPC status error.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	code := codes.Internal
	switch {
	case errors.Is(err, shard.ErrUnknownNamespace), errors.Is(err, shard.ErrUnknownSocket):
		code = codes.NotFound
	case errors.Is(err, shard.ErrBadRoom), errors.Is(err, shard.ErrBadFrame):
		code = codes.InvalidArgument
	case errors.Is(err, shard.ErrDuplicateSocket):
		code = codes.AlreadyExists
	case errors.Is(err, shard.ErrSuperseded):
		code = codes.Aborted
	case errors.Is(err, ErrSlowGateway):
		code = codes.ResourceExhausted
	case errors.Is(err, shard.ErrClosed), errors.Is(err, shard.ErrRoomStopped):
		code = codes.Unavailable
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	}
	return status.Error(code, err.Error())
}
