package shard

import (
	"errors"

	"github.com/roomshard/roomshard/shard/storage"
)

// lostLease handles a handler that failed because the room's storage lease
// was taken by another shard (the ring moved the room, or this shard was
// paused or partitioned while another activated it). The room must run no
// more here: it stops and hands its sockets back to the gateways, which
// re-open it on the owner. The event's socket stays open: to its client the
// event is like one in flight to a shard that died (no reply, no effect),
// not a room error (1011). It reports whether err was such a failure.
func (r *room) lostLease(err error) bool {
	if !errors.Is(err, storage.ErrFenced) {
		return false
	}
	if !r.store.fenced {
		r.log.Info("room lost its storage lease; handing it over", "err", err)
	}
	r.store.fenced = true
	r.signalStop("room moved: its storage lease is held by another shard")
	return true
}
