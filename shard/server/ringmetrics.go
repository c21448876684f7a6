package server

import (
	"github.com/roomshard/roomshard/cluster/membership"
	"github.com/roomshard/roomshard/cluster/ops"
)

// watchRing keeps m's ring gauges current from the membership's ring
// events. The returned function stops the watch and waits for it.
func watchRing(members *membership.Membership, m *ops.RingMetrics) (stop func()) {
	rg := members.Ring()
	m.Observe(rg.Version(), rg.Len(), false)
	events, cancel := members.Subscribe()
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case ev := <-events:
				if ev.Kind == "ring" {
					rg := members.Ring()
					m.Observe(rg.Version(), rg.Len(), true)
				}
			}
		}
	}()
	return func() {
		cancel()
		close(quit)
		<-done
	}
}
