package shard

import (
	"errors"

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
			r.log.Info("room lost its storage lease; handing it over", "err", err)
		}
		r.store.fenced = true
		r.signalStop("room moved: its storage lease is held by another shard")
	case errors.Is(err, ErrNoLease):
		r.log.Warn("cannot take the room's storage lease; handing the room back", "err", err)
		r.signalStop("room could not take its storage lease")
	default:
		return false
	}
	return true
}
