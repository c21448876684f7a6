package server

import (
	"context"
	"sync"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// Batching bounds for one RoomResponse: well below gRPC's default 4 MiB
// receive limit on the gateway, while a busy stream still coalesces many
// frames per message.
const (
	maxBatchFrames = 1024
	maxBatchBytes  = 1 << 20
)

// sendQueue is the shard-to-gateway side of one room stream: rooms queue
// frames without blocking (shard.Outbound) and one writer, run on the
// stream's handler goroutine, sends everything queued since its last send
// as one RoomResponse. A queue that overflows its bounds is closed with
// ErrSlowGateway: the room never waits for a slow gateway.
type sendQueue struct {
	maxFrames, maxBytes int
	wake                chan struct{} // one pending wake-up
	// notify, when set, replaces wake: a Link's room stream tells the
	// Link's one writer instead of running a writer of its own.
	notify func()

	// protects frames, bytes, closed and err
	mu     sync.Mutex
	frames []*roomshardv1.ShardFrame
	bytes  int
	closed bool
	err    error
}

func newSendQueue(maxFrames, maxBytes int) *sendQueue {
	return &sendQueue{maxFrames: maxFrames, maxBytes: maxBytes, wake: make(chan struct{}, 1)}
}

// Send implements shard.Outbound.
func (q *sendQueue) Send(frames ...*roomshardv1.ShardFrame) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	n := 0
	for _, f := range frames {
		n += frameSize(f)
	}
	if len(q.frames)+len(frames) > q.maxFrames || q.bytes+n > q.maxBytes {
		q.closed, q.err = true, ErrSlowGateway
		q.frames, q.bytes = nil, 0
	} else {
		q.frames = append(q.frames, frames...)
		q.bytes += n
	}
	q.mu.Unlock()
	q.signal()
}

// Close implements shard.Outbound: the writer sends what is queued, then
// ends the stream with err.
func (q *sendQueue) Close(err error) {
	q.mu.Lock()
	if !q.closed {
		q.closed, q.err = true, err
	}
	q.mu.Unlock()
	q.signal()
}

func (q *sendQueue) signal() {
	if q.notify != nil {
		q.notify()
		return
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take returns everything queued, and whether the queue is closed.
func (q *sendQueue) take() ([]*roomshardv1.ShardFrame, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	frames := q.frames
	q.frames, q.bytes = nil, 0
	return frames, q.closed, q.err
}

// run is the writer: it sends queued frames until the queue is closed and
// drained (returning its close error), send fails, or ctx ends.
func (q *sendQueue) run(ctx context.Context, send func(*roomshardv1.RoomResponse) error) error {
	for {
		frames, closed, err := q.take()
		for len(frames) > 0 {
			n := batchLen(frames)
			if serr := send(&roomshardv1.RoomResponse{Frames: frames[:n]}); serr != nil {
				q.Close(serr)
				return serr
			}
			frames = frames[n:]
		}
		if closed {
			return err // a closed queue takes no more frames: all are sent
		}
		select {
		case <-q.wake:
		case <-ctx.Done():
			q.Close(ctx.Err())
			return ctx.Err()
		}
	}
}

// batchLen is how many leading frames fit in one RoomResponse (at least one).
func batchLen(frames []*roomshardv1.ShardFrame) int {
	size := 0
	for i, f := range frames {
		size += frameSize(f)
		if i > 0 && (i >= maxBatchFrames || size > maxBatchBytes) {
			return i
		}
	}
	return len(frames)
}

// frameSize estimates a frame's encoded size cheaply: payloads dominate.
func frameSize(f *roomshardv1.ShardFrame) int {
	const overhead = 48
	switch x := f.GetFrame().(type) {
	case *roomshardv1.ShardFrame_Deliver:
		d := x.Deliver
		n := overhead + len(d.GetData())
		for _, id := range d.GetSocketIds() {
			n += len(id) + 2
		}
		for _, id := range d.GetExcept() {
			n += len(id) + 2
		}
		return n
	case *roomshardv1.ShardFrame_Attachment:
		return overhead + len(x.Attachment.GetAttachment())
	case *roomshardv1.ShardFrame_AutoResponse:
		return overhead + len(x.AutoResponse.GetRequest()) + len(x.AutoResponse.GetResponse())
	}
	return overhead
}
