package gateway

import (
	"context"
	"io"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// serveLinkAsRooms serves a Link by running room, a Room handler, for each
// room stream on it, so a test shard written against Room serves gateways.
func serveLinkAsRooms(st roomshardv1.ShardService_LinkServer, room func(roomshardv1.ShardService_RoomServer) error) error {
	ctx, cancel := context.WithCancel(st.Context())
	defer cancel()
	var (
		sendMu  sync.Mutex
		wg      sync.WaitGroup
		streams = map[uint64]*virtualRoom{}
	)
	defer wg.Wait()
	for {
		req, err := st.Recv()
		if err != nil {
			cancel()
			return nil
		}
		for _, part := range req.GetStreams() {
			v := streams[part.GetStream()]
			if v == nil {
				if part.GetCancel() {
					continue
				}
				vctx, vcancel := context.WithCancel(ctx)
				v = &virtualRoom{ServerStream: st, id: part.GetStream(), ctx: vctx, cancel: vcancel,
					link: st, sendMu: &sendMu, in: make(chan *roomshardv1.RoomRequest, 1024)}
				streams[v.id] = v
				wg.Add(1)
				go func() {
					defer wg.Done()
					v.end(room(v))
				}()
			}
			if part.GetCancel() {
				v.cancel()
				continue
			}
			if len(part.GetFrames()) > 0 && !v.halfClosed {
				select {
				case v.in <- &roomshardv1.RoomRequest{Frames: part.GetFrames()}:
				case <-v.ctx.Done():
				}
			}
			if part.GetHalfClose() && !v.halfClosed {
				v.halfClosed = true
				close(v.in)
			}
		}
	}
}

// virtualRoom is one room stream of a Link, seen as a Room stream.
type virtualRoom struct {
	grpc.ServerStream
	id         uint64
	ctx        context.Context
	cancel     context.CancelFunc
	link       roomshardv1.ShardService_LinkServer
	sendMu     *sync.Mutex
	in         chan *roomshardv1.RoomRequest
	halfClosed bool // read by the Link's reader only
}

func (v *virtualRoom) Context() context.Context { return v.ctx }

func (v *virtualRoom) Recv() (*roomshardv1.RoomRequest, error) {
	select {
	case req, ok := <-v.in:
		if !ok {
			return nil, io.EOF
		}
		return req, nil
	case <-v.ctx.Done():
		return nil, v.ctx.Err()
	}
}

func (v *virtualRoom) Send(resp *roomshardv1.RoomResponse) error {
	return v.send(&roomshardv1.LinkShardFrames{Stream: v.id, Frames: resp.GetFrames()})
}

func (v *virtualRoom) end(err error) {
	st := status.Convert(err)
	_ = v.send(&roomshardv1.LinkShardFrames{Stream: v.id, End: &roomshardv1.StreamEnd{Code: int32(st.Code()), Message: st.Message()}})
	v.cancel()
}

func (v *virtualRoom) send(part *roomshardv1.LinkShardFrames) error {
	if v.ctx.Err() != nil {
		return v.ctx.Err()
	}
	v.sendMu.Lock()
	defer v.sendMu.Unlock()
	return v.link.Send(&roomshardv1.LinkResponse{Streams: []*roomshardv1.LinkShardFrames{part}})
}
