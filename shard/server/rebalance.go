package server

import (
	"context"
	"sync"
	"time"

	"github.com/roomshard/roomshard/cluster/membership"
	"github.com/roomshard/roomshard/shard"
)

const (
	// rebalanceEvery re-checks ownership without a membership event:
	// Subscribe drops events for a lagging subscriber.
	rebalanceEvery = time.Second
	// drainDeadline is how long a draining shard waits for its rooms to
	// hand off before it exits anyway (SPEC §7 "or at a deadline").
	drainDeadline = 30 * time.Second
)

// rebalancer hands off the rooms the shard's ring no longer gives it, on
// every membership change, and ends a drain: done is closed once the host
// is drained, or drainDeadline after the drain started.
type rebalancer struct {
	cancel    context.CancelFunc
	stopped   chan struct{} // closed when the goroutine returned
	drained   chan struct{} // closed when the shard should exit after a drain
	drainOnce sync.Once
}

// startRebalancer starts the goroutine; stop ends it.
func startRebalancer(m *membership.Membership, h *shard.Host) *rebalancer {
	events, unsubscribe := m.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	rb := &rebalancer{cancel: cancel, stopped: make(chan struct{}), drained: make(chan struct{})}
	go func() {
		defer close(rb.stopped)
		defer unsubscribe()
		rb.run(ctx, events, h)
	}()
	return rb
}

func (rb *rebalancer) run(ctx context.Context, events <-chan membership.Event, h *shard.Host) {
	tick := time.NewTicker(rebalanceEvery)
	defer tick.Stop()
	var deadline <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-events:
			h.Rebalance()
		case <-tick.C:
			h.Rebalance()
		case <-h.Drained():
			rb.finishDrain()
			return
		case <-deadline:
			rb.finishDrain()
			return
		}
		if deadline == nil && h.Draining() {
			t := time.NewTimer(drainDeadline)
			defer t.Stop()
			deadline = t.C
		}
	}
}

func (rb *rebalancer) finishDrain() { rb.drainOnce.Do(func() { close(rb.drained) }) }

// stop ends the goroutine and waits for it.
func (rb *rebalancer) stop() {
	rb.cancel()
	<-rb.stopped
}
