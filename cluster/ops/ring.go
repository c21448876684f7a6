package ops

import "github.com/prometheus/client_golang/prometheus"

// RingMetrics are the ring gauges every node exports, so a dashboard can
// show whether nodes agree on the ring and how often it changes.
type RingMetrics struct {
	version prometheus.Gauge
	changes prometheus.Counter
	members prometheus.Gauge
}

// NewRingMetrics registers roomshard_ring_version, roomshard_ring_members
// and roomshard_ring_changes_total with reg.
func NewRingMetrics(reg prometheus.Registerer) *RingMetrics {
	m := &RingMetrics{
		version: prometheus.NewGauge(prometheus.GaugeOpts{Name: "roomshard_ring_version",
			Help: "Version (hash of the member set, low 53 bits) of this node's ring; nodes that agree show the same value."}),
		changes: prometheus.NewCounter(prometheus.CounterOpts{Name: "roomshard_ring_changes_total",
			Help: "Times this node's ring changed."}),
		members: prometheus.NewGauge(prometheus.GaugeOpts{Name: "roomshard_ring_members",
			Help: "Active shards in this node's ring."}),
	}
	reg.MustRegister(m.version, m.changes, m.members)
	return m
}

// Observe records the current ring; changed counts a change.
func (m *RingMetrics) Observe(version uint64, members int, changed bool) {
	// A float64 holds 53 bits exactly; the low bits of a hash still differ.
	m.version.Set(float64(version & (1<<53 - 1)))
	m.members.Set(float64(members))
	if changed {
		m.changes.Inc()
	}
}
