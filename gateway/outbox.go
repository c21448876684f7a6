package gateway

import (
	"slices"
	"sync"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// maxBatchBytes bounds the frames packed into one RoomRequest, well under
// gRPC's default 4 MiB receive limit; a single larger frame goes alone.
const maxBatchBytes = 1 << 20

// outbox holds the gateway frames of one room stream. The room actor
// pushes; the Link's writer goroutine takes everything queued and sends it
// in one message, so a busy room coalesces frames. Safe for concurrent use
// by those two goroutines.
type outbox struct {
	notify func() // frames or closeSend were added

	// protects frames and closeSend
	mu        sync.Mutex
	frames    []*roomshardv1.GatewayFrame
	closeSend bool
}

func newOutbox(notify func()) *outbox { return &outbox{notify: notify} }

func (o *outbox) push(fs ...*roomshardv1.GatewayFrame) {
	o.mu.Lock()
	o.frames = append(o.frames, fs...)
	o.mu.Unlock()
	o.notify()
}

// halfClose asks the writer to end the client side once the outbox is empty.
func (o *outbox) halfClose() {
	o.mu.Lock()
	o.closeSend = true
	o.mu.Unlock()
	o.notify()
}

func (o *outbox) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.frames)
}

// take removes up to maxBatchBytes of frames (at least one) and reports
// whether the writer should half-close after sending them.
func (o *outbox) take() (batch []*roomshardv1.GatewayFrame, closeSend bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	size, n := 0, 0
	for n < len(o.frames) && (n == 0 || size < maxBatchBytes) {
		size += frameSize(o.frames[n])
		n++
	}
	if n == len(o.frames) {
		// The usual case: everything fits, and the queue's array becomes
		// the batch instead of being copied.
		batch, o.frames = o.frames, nil
		return batch, o.closeSend
	}
	batch = slices.Clone(o.frames[:n])
	o.frames = slices.Delete(o.frames, 0, n)
	if len(o.frames) == 0 {
		o.frames = nil // let a burst's backing array go
	}
	return batch, o.closeSend && len(o.frames) == 0
}

// putBack returns a batch that could not be sent to the front of the queue,
// so the room can hand it to the next stream in order.
func (o *outbox) putBack(batch []*roomshardv1.GatewayFrame, closeSend bool) {
	o.mu.Lock()
	o.frames = append(batch, o.frames...)
	o.closeSend = o.closeSend || closeSend
	o.mu.Unlock()
}

// drain removes and returns everything queued.
func (o *outbox) drain() []*roomshardv1.GatewayFrame {
	o.mu.Lock()
	defer o.mu.Unlock()
	fs := o.frames
	o.frames = nil
	return fs
}

// frameSize estimates a frame's encoded size: payload plus a little
// overhead is enough to bound a batch.
func frameSize(f *roomshardv1.GatewayFrame) int {
	if m := f.GetMessage(); m != nil {
		return len(m.Data) + len(m.SocketId) + 16
	}
	return 64
}
