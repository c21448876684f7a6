package shard

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the runtime's Prometheus metrics. A nil *Metrics records
// nothing. Safe for concurrent use.
type Metrics struct {
	rooms     prometheus.Gauge
	sockets   prometheus.Gauge
	events    *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	opens     prometheus.Counter
	redirects prometheus.Counter
	commits   *prometheus.HistogramVec
	alarmLag  prometheus.Histogram
	// byKind holds each event kind's series, looked up once here rather
	// than hashed by label values on every event. Read-only after
	// NewMetrics.
	byKind map[string]kindMetrics
}

// kindMetrics are the series of one event kind.
type kindMetrics struct {
	ok, failed prometheus.Counter
	latency    prometheus.Observer
}

// NewMetrics creates the runtime's metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		rooms: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "roomshard_shard_rooms_active", Help: "Rooms held by this shard (running or hibernated).",
		}),
		sockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "roomshard_shard_sockets", Help: "Client sockets in the rooms of this shard.",
		}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roomshard_shard_events_total", Help: "Room events handled, by kind and result (ok, error).",
		}, []string{"kind", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "roomshard_shard_handler_seconds", Help: "Time to run an event: handler, commit and release.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 4, 10),
		}, []string{"kind"}),
		opens: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomshard_shard_stream_opens_total", Help: "Gateway room streams accepted.",
		}),
		redirects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomshard_shard_redirects_total", Help: "Room streams and counts redirected to another shard.",
		}),
		commits: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "roomshard_shard_storage_commit_seconds", Help: "Time to commit one event's storage writes, by result (ok, error).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 3, 11),
		}, []string{"result"}),
		alarmLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "roomshard_shard_alarm_lag_seconds", Help: "How late alarms start: from their scheduled time to their handler's dispatch.",
			Buckets: prometheus.ExponentialBuckets(0.001, 3, 11),
		}),
	}
	reg.MustRegister(m.rooms, m.sockets, m.events, m.latency, m.opens, m.redirects, m.commits, m.alarmLag)
	m.byKind = make(map[string]kindMetrics)
	for _, kind := range []string{evConnect, evMessage, evClose, evError, evAlarm} {
		m.byKind[kind] = m.kindSeries(kind)
	}
	return m
}

// kindSeries looks up the series of one event kind.
func (m *Metrics) kindSeries(kind string) kindMetrics {
	return kindMetrics{
		ok:      m.events.WithLabelValues(kind, "ok"),
		failed:  m.events.WithLabelValues(kind, "error"),
		latency: m.latency.WithLabelValues(kind),
	}
}

func (m *Metrics) addRooms(d float64) {
	if m != nil {
		m.rooms.Add(d)
	}
}

func (m *Metrics) addSockets(d int64) {
	if m != nil {
		m.sockets.Add(float64(d))
	}
}

func (m *Metrics) observeEvent(kind string, ok bool, d time.Duration) {
	if m == nil {
		return
	}
	km, found := m.byKind[kind]
	if !found {
		km = m.kindSeries(kind)
	}
	if ok {
		km.ok.Inc()
	} else {
		km.failed.Inc()
	}
	km.latency.Observe(d.Seconds())
}

func (m *Metrics) observeCommit(d time.Duration, ok bool) {
	if m == nil {
		return
	}
	result := "ok"
	if !ok {
		result = "error"
	}
	m.commits.WithLabelValues(result).Observe(d.Seconds())
}

func (m *Metrics) observeAlarmLag(d time.Duration) {
	if m != nil {
		m.alarmLag.Observe(max(d, 0).Seconds())
	}
}

func (m *Metrics) streamOpened() {
	if m != nil {
		m.opens.Inc()
	}
}

func (m *Metrics) redirected() {
	if m != nil {
		m.redirects.Inc()
	}
}
