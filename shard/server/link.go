package server

import (
	"context"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/shard"
)

type linkStream = grpc.BidiStreamingServer[roomshardv1.LinkRequest, roomshardv1.LinkResponse]

// Link implements roomshardv1.ShardServiceServer: every room stream of one
// gateway over one gRPC stream. One reader goroutine hands each room its
// frames without waiting (a room whose inbox is full gets a goroutine of
// its own until it catches up, so it holds up no other room), and the
// handler's goroutine is the one writer for every room stream. An idle
// room stream therefore costs no goroutine. The Link ends when the gateway
// cancels it or goes away; each room stream ends on its own with a
// StreamEnd, for the reasons a Room stream ends.
func (s *Service) Link(stream linkStream) error {
	ctx, cancel := context.WithCancel(stream.Context())
	l := &link{svc: s, ctx: ctx, cancel: cancel, streams: map[uint64]*roomStream{},
		wake: make(chan struct{}, 1), wrote: make(chan struct{})}
	s.readers.Add(1)
	go func() {
		defer s.readers.Done()
		l.read(stream)
	}()
	defer close(l.wrote)
	return l.write(stream)
}

// link is the shard's side of one Link.
type link struct {
	svc    *Service
	ctx    context.Context // the Link's; room streams derive theirs from it
	cancel context.CancelFunc
	// feeders counts the goroutines passing frames to rooms. The reader
	// waits for them last, after the writer, the other goroutine that
	// starts them, has exited (wrote).
	feeders sync.WaitGroup
	wrote   chan struct{}

	// read-owned: the room streams by id, and the highest id opened
	streams map[uint64]*roomStream
	maxID   uint64

	wake chan struct{} // cap 1: ready or done changed
	// protects ready, ended, live and readDone, and every stream's queued
	// and over
	mu       sync.Mutex
	ready    []*roomStream // streams with frames or an end to send
	ended    []uint64      // streams whose end was sent, for read to forget
	live     int           // streams whose end was not sent yet
	readDone bool
}

// roomStream is one room stream of a Link.
type roomStream struct {
	id     uint64
	l      *link
	q      *sendQueue
	ctx    context.Context
	cancel context.CancelFunc

	queued bool // in l.ready; guarded by l.mu
	over   bool // its end was sent; guarded by l.mu

	// protects conn, backlog, feeding and done
	mu      sync.Mutex
	conn    *shard.Conn // set once OpenRoom attached it
	backlog []inbound   // what waits for the feeder, in order
	feeding bool        // a feeder goroutine runs
	done    bool        // nothing more goes to the room
}

// inbound is one step of a room stream for its room: open, frames, then
// half-close or cancel.
type inbound struct {
	open      *roomshardv1.OpenRoom
	frames    []*roomshardv1.GatewayFrame
	halfClose bool
	cancel    bool
}

// read feeds the gateway's frames to their rooms until the Link breaks.
func (l *link) read(stream linkStream) {
	for {
		req, err := stream.Recv()
		l.forgetEnded()
		if err != nil {
			// The gateway went away or cancelled the Link (a gateway never
			// closes a Link with streams on it): every room stream still
			// here is abandoned.
			for _, rs := range l.streams {
				l.abandon(rs)
				rs.deliver(inbound{cancel: true})
			}
			l.mu.Lock()
			l.readDone = true
			l.mu.Unlock()
			l.signal()
			<-l.wrote
			l.cancel()
			l.feeders.Wait()
			return
		}
		for _, part := range req.GetStreams() {
			l.route(part)
		}
	}
}

// route hands one stream's part of a LinkRequest to its room.
func (l *link) route(part *roomshardv1.LinkGatewayFrames) {
	in := inbound{frames: part.GetFrames(), halfClose: part.GetHalfClose(), cancel: part.GetCancel()}
	rs := l.streams[part.GetStream()]
	if rs == nil {
		if part.GetStream() <= l.maxID {
			return // a stream that ended: the gateway had not heard yet
		}
		l.maxID = part.GetStream()
		if in.cancel {
			return // abandoned before its OpenRoom went out
		}
		rs = l.newStream(part.GetStream())
		l.streams[rs.id] = rs
		if len(in.frames) == 0 || in.frames[0].GetOpen() == nil {
			rs.done = true // before Close hands rs to the writer
			rs.q.Close(status.Error(codes.InvalidArgument, "shard: the first frame must be OpenRoom"))
			return
		}
		in.open, in.frames = in.frames[0].GetOpen(), in.frames[1:]
	}
	if in.cancel {
		l.abandon(rs)
	}
	rs.deliver(in)
}

// abandon ends a stream the gateway no longer wants: nothing more is sent
// for it, its context ends (freeing a feeder waiting for the room), and
// the room is told (deliver a cancel).
func (l *link) abandon(rs *roomStream) {
	rs.cancel()
	l.mu.Lock()
	if !rs.over {
		rs.over = true
		l.live--
		l.ended = append(l.ended, rs.id)
	}
	l.mu.Unlock()
}

func (l *link) newStream(id uint64) *roomStream {
	ctx, cancel := context.WithCancel(l.ctx)
	rs := &roomStream{id: id, l: l, ctx: ctx, cancel: cancel, q: newSendQueue(l.svc.queueFrames, l.svc.qBytes)}
	rs.q.notify = rs.ready
	l.mu.Lock()
	l.live++
	l.mu.Unlock()
	return rs
}

// forgetEnded drops the streams whose end went out.
func (l *link) forgetEnded() {
	l.mu.Lock()
	ended := l.ended
	l.ended = nil
	l.mu.Unlock()
	for _, id := range ended {
		if rs := l.streams[id]; rs != nil {
			delete(l.streams, id)
			rs.cancel()
		}
	}
}

// deliver passes in to the room: at once when nothing waits before it and
// the room's inbox has space, else through the stream's feeder.
func (rs *roomStream) deliver(in inbound) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.done {
		return
	}
	if !rs.feeding && rs.conn != nil && in.open == nil && !in.halfClose && !in.cancel {
		queued, err := rs.conn.TryHandle(in.frames)
		if err == nil && queued {
			return
		}
		if err != nil {
			rs.fail(err)
			return
		}
	}
	rs.backlog = append(rs.backlog, in)
	if !rs.feeding {
		rs.feeding = true
		rs.l.feeders.Add(1)
		go rs.feed()
	}
}

// fail ends the stream on err. Called with rs.mu held; Detach may wait
// for the room, so it runs on a goroutine the Link owns.
func (rs *roomStream) fail(err error) {
	rs.done = true
	rs.backlog = nil
	rs.q.Close(toStatus(err))
	if conn := rs.conn; conn != nil {
		rs.l.feeders.Add(1)
		go func() {
			defer rs.l.feeders.Done()
			conn.Detach(err)
		}()
	}
}

// feed passes the backlog to the room, waiting for it as needed, and
// exits once the backlog is empty.
func (rs *roomStream) feed() {
	defer rs.l.feeders.Done()
	for {
		rs.mu.Lock()
		if len(rs.backlog) == 0 || rs.done {
			rs.backlog = nil
			rs.feeding = false
			rs.mu.Unlock()
			return
		}
		in := rs.backlog[0]
		rs.backlog[0] = inbound{}
		rs.backlog = rs.backlog[1:]
		conn := rs.conn
		rs.mu.Unlock()
		if in.open != nil {
			if conn = rs.open(in.open); conn == nil {
				return
			}
		}
		if err := rs.step(conn, in); err != nil {
			rs.mu.Lock()
			rs.fail(err)
			rs.feeding = false
			rs.mu.Unlock()
			return
		}
	}
}

// open attaches the stream to its room, or ends it with a Redirect or an
// error. It returns nil when the stream ended.
func (rs *roomStream) open(open *roomshardv1.OpenRoom) *shard.Conn {
	svc := rs.l.svc
	end := func(err error) *shard.Conn {
		rs.q.Close(toStatus(err))
		rs.mu.Lock()
		rs.done, rs.feeding, rs.backlog = true, false, nil
		rs.mu.Unlock()
		return nil
	}
	if err := svc.admit(open.GetRoom()); err != nil {
		return end(err)
	}
	conn, redirect, err := svc.host.Open(rs.ctx, open, rs.q)
	if err != nil {
		return end(err)
	}
	if redirect != nil {
		rs.q.Send(&roomshardv1.ShardFrame{Frame: &roomshardv1.ShardFrame_Redirect{Redirect: redirect}})
		return end(nil)
	}
	rs.mu.Lock()
	rs.conn = conn
	rs.mu.Unlock()
	return conn
}

// step passes one inbound step to the room, waiting while its inbox is
// full. A half-close or cancel detaches the stream; nothing follows it.
func (rs *roomStream) step(conn *shard.Conn, in inbound) error {
	if conn == nil {
		return nil // only a stream whose open failed, and it is done
	}
	if len(in.frames) > 0 {
		if err := conn.Handle(rs.ctx, in.frames); err != nil {
			return err
		}
	}
	switch {
	case in.cancel:
		rs.q.Close(status.Error(codes.Canceled, "shard: the gateway cancelled the stream"))
		conn.Detach(context.Canceled)
	case in.halfClose:
		conn.Detach(nil)
	default:
		return nil
	}
	rs.mu.Lock()
	rs.done = true
	rs.mu.Unlock()
	return nil
}

// ready puts the stream on the writer's list (its send queue changed).
func (rs *roomStream) ready() {
	l := rs.l
	l.mu.Lock()
	add := !rs.queued && !rs.over
	if add {
		rs.queued = true
		l.ready = append(l.ready, rs)
	}
	l.mu.Unlock()
	if add {
		l.signal()
	}
}

func (l *link) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// write sends what the room streams queued, many streams per message,
// until the Link breaks, the reader is done, or the shard is closing and
// every stream on the Link has ended.
func (l *link) write(stream linkStream) error {
	var spare []*roomStream
	closing := l.svc.closing
	for {
		l.mu.Lock()
		ready := l.ready
		l.ready, spare = spare[:0], nil
		for _, rs := range ready {
			rs.queued = false
		}
		finished := len(ready) == 0 && (l.readDone || closing == nil && l.live == 0)
		l.mu.Unlock()
		if finished {
			return nil
		}
		if len(ready) == 0 {
			select {
			case <-l.wake:
			case <-closing:
				closing = nil
			case <-l.ctx.Done():
				return l.ctx.Err()
			}
			continue
		}
		if err := l.sendReady(stream, ready); err != nil {
			return err
		}
		clear(ready)
		spare = ready
	}
}

// sendReady sends the queued frames and ends of ready, in messages of at
// most maxBatchBytes (a larger frame goes alone).
func (l *link) sendReady(stream linkStream, ready []*roomStream) error {
	resp := &roomshardv1.LinkResponse{}
	size := 0
	flush := func() error {
		if len(resp.Streams) == 0 {
			return nil
		}
		err := stream.Send(resp)
		resp, size = &roomshardv1.LinkResponse{}, 0
		return err
	}
	for _, rs := range ready {
		frames, closed, err := rs.q.take()
		for first := true; first || len(frames) > 0; first = false {
			n := batchLen(frames)
			part := &roomshardv1.LinkShardFrames{Stream: rs.id, Frames: frames[:n]}
			for _, f := range part.Frames {
				size += frameSize(f)
			}
			frames = frames[n:]
			if closed && len(frames) == 0 {
				part.End = streamEnd(err)
				l.mu.Lock()
				rs.over = true
				l.live--
				l.ended = append(l.ended, rs.id)
				l.mu.Unlock()
				// The room may still hold the stream (its send queue
				// overflowed, say): detach it, as a broken Room stream is.
				rs.deliver(inbound{cancel: true})
			}
			if part.End == nil && len(part.Frames) == 0 {
				break
			}
			resp.Streams = append(resp.Streams, part)
			if size >= maxBatchBytes {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// streamEnd is the StreamEnd of a room stream closed with err (nil: a
// normal end), with the status a Room stream would end with.
func streamEnd(err error) *roomshardv1.StreamEnd {
	st := status.Convert(toStatus(err))
	return &roomshardv1.StreamEnd{Code: int32(st.Code()), Message: st.Message()}
}
