package gateway

import (
	"context"
	"errors"
	"io"
	"sync"

	"google.golang.org/grpc"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// stream is one ShardService.Room stream of a room actor. Its goroutines
// (run, which reads, and a writer) are owned by the actor: stop cancels
// them and waits. They report to the actor only through the callbacks in
// streamSink, tagged with the stream so a stale stream's reports are ignored.
type stream struct {
	gen    uint64
	addr   string
	out    *outbox
	cancel context.CancelFunc
	// stopping is closed by stop, so reports the actor no longer wants are
	// dropped instead of blocking a goroutine the actor is waiting for.
	stopping chan struct{}
	stopOnce sync.Once
	done     chan struct{} // closed when run has returned
}

// streamSink is how a stream reports to its room actor. Both calls block
// until the actor takes the report or s.stopping is closed; frames returns
// false in the latter case.
type streamSink interface {
	frames(s *stream, fs []*roomshardv1.ShardFrame) bool
	ended(s *stream, err error)
}

// startStream opens a Room stream on cc, sends open first and starts
// serving it. Opening happens on the stream's goroutine so a slow dial never
// blocks the actor.
func startStream(parent context.Context, gen uint64, addr string, cc grpc.ClientConnInterface,
	open *roomshardv1.GatewayFrame, sink streamSink, m *metrics) *stream {
	ctx, cancel := context.WithCancel(parent)
	s := &stream{gen: gen, addr: addr, out: newOutbox(), cancel: cancel,
		stopping: make(chan struct{}), done: make(chan struct{})}
	go s.run(ctx, cc, open, sink, m)
	return s
}

// stop ends the stream (if still running) and waits for its goroutines.
func (s *stream) stop() {
	s.stopOnce.Do(func() { close(s.stopping) })
	s.cancel()
	<-s.done
}

func (s *stream) run(ctx context.Context, cc grpc.ClientConnInterface, open *roomshardv1.GatewayFrame, sink streamSink, m *metrics) {
	defer close(s.done)
	defer s.cancel()
	rs, err := roomshardv1.NewShardServiceClient(cc).Room(ctx)
	if err != nil {
		sink.ended(s, err)
		return
	}
	m.streamsOpen.Inc()
	defer m.streamsOpen.Dec()
	if err := rs.Send(&roomshardv1.RoomRequest{Frames: []*roomshardv1.GatewayFrame{open}}); err != nil {
		_, err = rs.Recv() // the stream's real status
		sink.ended(s, err)
		return
	}
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		s.writeLoop(ctx, rs)
	}()
	err = s.readLoop(rs, sink)
	s.cancel()
	<-wrote
	if errors.Is(err, io.EOF) {
		err = nil
	}
	sink.ended(s, err)
}

func (s *stream) readLoop(rs roomshardv1.ShardService_RoomClient, sink streamSink) error {
	for {
		resp, err := rs.Recv()
		if err != nil {
			return err
		}
		if !sink.frames(s, resp.GetFrames()) {
			return context.Canceled
		}
	}
}

// writeLoop sends everything the actor queued, one RoomRequest per take.
// A batch that fails goes back to the outbox so the next stream sends it.
func (s *stream) writeLoop(ctx context.Context, rs roomshardv1.ShardService_RoomClient) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.out.wake:
		}
		for {
			batch, closeSend := s.out.take()
			if len(batch) > 0 {
				if err := rs.Send(&roomshardv1.RoomRequest{Frames: batch}); err != nil {
					s.out.putBack(batch)
					return
				}
			}
			if closeSend {
				_ = rs.CloseSend()
				return
			}
			if len(batch) == 0 {
				break
			}
		}
	}
}
