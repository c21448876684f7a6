package shard

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/roomshard/roomshard/shard/storage"
)

// lostLease handles a handler that failed because the room's storage lease
// was taken by another shard (the ring moved the room, or this shard was
// paused or partitioned while another activated it), or could not be taken
// at all (storage unreachable, as after a partition). The room must not
// run here: it stops and hands its sockets back to the gateways, which
// re-open it where their ring says (here again, for a lease not taken,
// which retries it). The event's socket stays open: to its client the
// event is like one in flight to a shard that died (no reply, no effect),
// not a room error (1011). It reports whether err was such a failure.
func (r *room) lostLease(err error) bool {
	switch {
	case errors.Is(err, storage.ErrFenced):
		if !r.store.fenced {
			r.logger().Info("room lost its storage lease; handing it over", "err", err)
		}
		r.fence()
	case errors.Is(err, ErrNoLease):
		r.logger().Warn("cannot take the room's storage lease; handing the room back", "err", err)
		r.signalStop("room could not take its storage lease")
	case unreachable(err):
		// The lease may be lost too; the next activation takes it again.
		r.logger().Warn("storage unreachable; handing the room back", "err", err)
		r.signalStop("room's storage is unreachable")
	default:
		return false
	}
	return true
}

// fence stops a room whose lease another shard took: it commits nothing
// more here and hands its sockets back to the gateways.
func (r *room) fence() {
	r.store.fenced = true
	r.setLease(nil)
	r.signalStop("room moved: its storage lease is held by another shard")
}

// unreachable reports an error that says the storage could not be reached
// (a broken or timed-out connection), as opposed to one about the data or
// the room's code.
func unreachable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, storage.ErrOutcomeUnknown)
}

// stopSignaled reports whether signalStop was called. A stopping room runs
// no more of its queued events (see dispatch and run): they are lost like
// frames in flight to a shard that died, and a room stopping because its
// storage is unreachable would otherwise wait on it once per event while
// new streams queue behind them.
func (r *room) stopSignaled() bool { return r.stopReq.Load() }

// finish ends a stopped room: streams get RoomMoving, the host forgets
// it, attaches already announced are answered, and the room ends.
func (r *room) finish() {
	r.stopped = true
	r.releaseLease()
	r.moveAway(r.stopReason)
	r.h.forget(r)
	r.drainAttaches()
	r.publishStats()
	r.end()
}
