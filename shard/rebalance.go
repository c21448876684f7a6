package shard

import "fmt"

// Rebalance hands off every room this shard no longer owns: rooms its
// current ring gives to another shard, and all of them while draining. Each
// such room finishes the event it is running (and its commit), then ends
// its gateway streams with RoomMoving; the gateways re-open it on the new
// owner. Call it whenever the ring changes. It returns how many rooms it
// stopped.
//
// The hand-off happens before the new owner activates the room only for
// gateways that learn of the ring change from RoomMoving; a gateway whose
// ring changed first may open the room on the new owner while the old one
// still finishes an event. The storage lease closes that window: the new
// owner's activation fences the old owner, whose late commit fails and
// whose outbox is discarded, so no client sees the effects of a write that
// did not commit.
func (h *Host) Rebalance() int {
	rg := h.cfg.Ring()
	draining := h.draining.Load()
	type move struct {
		r      *room
		reason string
	}
	var moves []move
	h.mu.Lock()
	for id, r := range h.rooms {
		owner, ok := rg.Owner(id)
		switch {
		case draining:
			moves = append(moves, move{r, "shard is draining"})
		case !ok:
			// An empty ring cannot name this shard; keep the room until
			// membership settles rather than strand it.
		case owner.Name != h.cfg.Node:
			moves = append(moves, move{r, fmt.Sprintf("room moved to %s", owner.Name)})
		}
	}
	h.mu.Unlock()
	for _, m := range moves {
		m.r.signalStop(m.reason)
	}
	if len(moves) > 0 {
		h.cfg.Logger.Info("handing off rooms", "rooms", len(moves), "draining", draining, "ring", rg.VersionString())
	}
	return len(moves)
}

// Drained is closed once Drain was called and the shard holds no room; the
// shard process exits then (SPEC §7).
func (h *Host) Drained() <-chan struct{} { return h.drained }

// noteEmpty closes drained when a draining host holds no room. Called with
// h.mu held after a room leaves the map, and by Drain.
func (h *Host) noteEmpty() {
	if h.draining.Load() && len(h.rooms) == 0 {
		h.drainedOnce.Do(func() { close(h.drained) })
	}
}
