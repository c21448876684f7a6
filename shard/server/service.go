package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/shard"
)

// Service implements roomshardv1.ShardServiceServer over a shard.Host.
type Service struct {
	roomshardv1.UnimplementedShardServiceServer

	host                *shard.Host
	log                 *slog.Logger
	queueFrames, qBytes int
	readers             sync.WaitGroup
	// closing is closed by Close: Links end once their room streams have.
	closing   chan struct{}
	closeOnce sync.Once
	// MaxRooms bounds the rooms the host holds when a new one is opened
	// (see Config.MaxRooms); <= 0 is unlimited. Set before serving.
	MaxRooms int
}

// NewService returns the ShardService for host. queueFrames and
// queueBytes bound each stream's send queue (see Config).
func NewService(host *shard.Host, log *slog.Logger, queueFrames, queueBytes int) *Service {
	return &Service{host: host, log: log, queueFrames: queueFrames, qBytes: queueBytes, closing: make(chan struct{})}
}

// Close makes every Link end as soon as the room streams on it have ended,
// so a graceful gRPC stop does not wait for gateways to hang up. Call it
// after the host closed (its rooms end their streams).
func (s *Service) Close() { s.closeOnce.Do(func() { close(s.closing) }) }

// Wait waits for the streams' reader goroutines, which end with their
// streams (stop the gRPC server first).
func (s *Service) Wait() { s.readers.Wait() }

// Room implements roomshardv1.ShardServiceServer: one gateway's sockets in
// one room. The handler's goroutine writes; a reader goroutine feeds the
// room. The stream ends when the room closes it (RoomMoving, or after the
// gateway half-closed and the room answered everything), on bad input
// (a status error), when the gateway cannot keep up (ResourceExhausted),
// or when the gateway goes away.
func (s *Service) Room(stream grpc.BidiStreamingServer[roomshardv1.RoomRequest, roomshardv1.RoomResponse]) error {
	ctx := stream.Context()
	req, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return status.Error(codes.InvalidArgument, "shard: stream ended before OpenRoom")
	}
	if err != nil {
		return err
	}
	frames := req.GetFrames()
	if len(frames) == 0 || frames[0].GetOpen() == nil {
		return status.Error(codes.InvalidArgument, "shard: the first frame must be OpenRoom")
	}
	if err := s.admit(frames[0].GetOpen().GetRoom()); err != nil {
		return err
	}
	q := newSendQueue(s.queueFrames, s.qBytes)
	conn, redirect, err := s.host.Open(ctx, frames[0].GetOpen(), q)
	if err != nil {
		return toStatus(err)
	}
	if redirect != nil {
		return stream.Send(&roomshardv1.RoomResponse{Frames: []*roomshardv1.ShardFrame{
			{Frame: &roomshardv1.ShardFrame_Redirect{Redirect: redirect}},
		}})
	}
	s.readers.Add(1)
	go func() {
		defer s.readers.Done()
		s.read(ctx, stream, conn, q, frames[1:])
	}()
	err = q.run(ctx, stream.Send)
	if err != nil {
		conn.Detach(err)
	}
	return toStatus(err)
}

// read feeds the gateway's frames to the room until the gateway
// half-closes, the stream breaks, or a frame is malformed.
func (s *Service) read(ctx context.Context, stream grpc.BidiStreamingServer[roomshardv1.RoomRequest, roomshardv1.RoomResponse], conn *shard.Conn, q *sendQueue, frames []*roomshardv1.GatewayFrame) {
	for {
		if err := conn.Handle(ctx, frames); err != nil {
			q.Close(toStatus(err))
			conn.Detach(err)
			return
		}
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			conn.Detach(nil)
			return
		}
		if err != nil {
			conn.Detach(err)
			return
		}
		frames = req.GetFrames()
	}
}

// CountConnections implements roomshardv1.ShardServiceServer.
func (s *Service) CountConnections(ctx context.Context, req *roomshardv1.CountConnectionsRequest) (*roomshardv1.CountConnectionsResponse, error) {
	n, redirect, err := s.host.CountConnections(req.GetRoom())
	if err != nil {
		return nil, toStatus(err)
	}
	return &roomshardv1.CountConnectionsResponse{Connections: n, Redirect: redirect}, nil
}
