package bench

import (
	"time"
)

// LatencySummary is a histogram reduced to the figures we publish, in
// milliseconds.
type LatencySummary struct {
	Count  uint64  `json:"count"`
	MinMs  float64 `json:"min_ms"`
	MeanMs float64 `json:"mean_ms"`
	P50Ms  float64 `json:"p50_ms"`
	P90Ms  float64 `json:"p90_ms"`
	P99Ms  float64 `json:"p99_ms"`
	P999Ms float64 `json:"p999_ms"`
	MaxMs  float64 `json:"max_ms"`
}

// Summarize reduces a snapshot; nil when it holds no samples.
func Summarize(s *HistogramSnapshot) *LatencySummary {
	if s == nil || s.Total == 0 {
		return nil
	}
	return &LatencySummary{
		Count:  s.Total,
		MinMs:  ms(time.Duration(s.Min)),
		MeanMs: ms(s.Mean()),
		P50Ms:  ms(s.Quantile(0.50)),
		P90Ms:  ms(s.Quantile(0.90)),
		P99Ms:  ms(s.Quantile(0.99)),
		P999Ms: ms(s.Quantile(0.999)),
		MaxMs:  ms(time.Duration(s.Max)),
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Result is one scenario run against one system. Scenario-specific parts
// are set only for their scenario.
type Result struct {
	Scenario string `json:"scenario"`
	// System is "direct" or the URL driven.
	System string `json:"system"`
	// Protocol is the target kind ("roomshard", "plain").
	Protocol   string    `json:"protocol"`
	Started    time.Time `json:"started"`
	ElapsedSec float64   `json:"elapsed_sec"`
	// Connect describes the initial connection phase.
	Connect  ConnectStats    `json:"connect"`
	Counters CounterSnapshot `json:"counters"`
	// SentPerSec and DeliveredPerSec are over the load phase.
	SentPerSec      float64 `json:"sent_per_sec"`
	DeliveredPerSec float64 `json:"delivered_per_sec"`
	// Latency is end-to-end, from the send timestamp in the payload to the
	// receiving client's read (echo: round trip).
	Latency   *LatencySummary `json:"latency,omitempty"`
	Processes []ProcessRSS    `json:"processes,omitempty"`
	// Groups sums the Processes that share a name (see GroupRSS).
	Groups   []ProcessRSS    `json:"groups,omitempty"`
	Fanout   []FanoutSize    `json:"fanout,omitempty"`
	Idle     *IdleResult     `json:"idle,omitempty"`
	Failover *FailoverResult `json:"failover,omitempty"`
	// Config is the scenario configuration after defaults.
	Config any `json:"config"`
}

func newResult(scenario string, env *Env, cfg any) *Result {
	return &Result{
		Scenario: scenario,
		System:   env.Label,
		Protocol: orDefault(env.Spec.Kind, "roomshard"),
		Started:  time.Now().UTC(),
		Config:   cfg,
	}
}
