package gateway

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gateway's Prometheus collectors, registered on the node's
// own registry. Hot-path counters are pre-bound (no label lookups per frame).
type metrics struct {
	connsOpen     prometheus.Gauge
	connsClosed   *prometheus.CounterVec // by close code
	messagesIn    prometheus.Counter
	messagesOut   prometheus.Counter
	bytesIn       prometheus.Counter
	bytesOut      prometheus.Counter
	queueDrops    prometheus.Counter
	streamsOpen   prometheus.Gauge
	linksOpen     prometheus.Gauge
	streamReopens prometheus.Counter
	redirects     prometheus.Counter
	rateLimited   prometheus.Counter
	refused       *prometheus.CounterVec // upgrades refused, by reason
}

func newMetrics(reg prometheus.Registerer) *metrics {
	const ns, sub = "roomshard", "gateway"
	m := &metrics{
		connsOpen: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "connections_open", Help: "Client WebSockets currently open."}),
		connsClosed: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "connections_total", Help: "Client WebSockets ended, by close code (1006: connection lost)."}, []string{"code"}),
		messagesIn: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "messages_in_total", Help: "Messages received from clients."}),
		messagesOut: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "messages_out_total", Help: "Messages written to clients."}),
		bytesIn: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "bytes_in_total", Help: "Message payload bytes received from clients."}),
		bytesOut: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "bytes_out_total", Help: "Message bytes written to clients, frame headers included."}),
		queueDrops: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "send_queue_drops_total", Help: "Clients closed 1013 because their send queue overflowed."}),
		streamsOpen: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "room_streams_open", Help: "Room streams to shards currently open."}),
		linksOpen: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "shard_links_open", Help: "Link RPCs to shards currently open, each carrying every room stream to one shard."}),
		streamReopens: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "room_stream_reopens_total", Help: "Room streams re-opened after a break, move or ring change."}),
		redirects: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "redirects_total", Help: "Redirects followed (room streams and connection counts)."}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "rate_limited_total", Help: "Clients closed 1008 for exceeding --rate-limit."}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "upgrades_refused_total", Help: "WebSocket upgrades refused before the handshake, by reason (origin, auth, forbidden, limit_gateway, limit_ip, limit_room)."}, []string{"reason"}),
	}
	reg.MustRegister(m.connsOpen, m.connsClosed, m.messagesIn, m.messagesOut, m.bytesIn,
		m.bytesOut, m.queueDrops, m.streamsOpen, m.linksOpen, m.streamReopens, m.redirects, m.rateLimited, m.refused)
	return m
}

func (m *metrics) closed(code int) {
	m.connsClosed.WithLabelValues(strconv.Itoa(code)).Inc()
}
