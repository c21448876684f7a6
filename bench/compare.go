package bench

import "fmt"

// Comparison is one scenario run against the direct baseline and a target
// in the same invocation.
type Comparison struct {
	Scenario string  `json:"scenario"`
	Direct   *Result `json:"direct"`
	Target   *Result `json:"target"`
	Ratios   []Ratio `json:"ratios"`
}

// Ratio compares one metric: Ratio is Target/Direct.
type Ratio struct {
	Metric string  `json:"metric"`
	Direct float64 `json:"direct"`
	Target float64 `json:"target"`
	Ratio  float64 `json:"ratio"`
	// Better says which direction is an improvement: "higher" or "lower".
	Better string `json:"better"`
}

// Compare builds the comparison of two results of the same scenario.
func Compare(direct, target *Result) *Comparison {
	c := &Comparison{Scenario: direct.Scenario, Direct: direct, Target: target}
	add := func(metric, better string, d, t float64) {
		r := Ratio{Metric: metric, Direct: d, Target: t, Better: better}
		if d != 0 {
			r.Ratio = t / d
		}
		c.Ratios = append(c.Ratios, r)
	}
	lat := func(r *Result, f func(*LatencySummary) float64) float64 {
		if r.Latency == nil {
			return 0
		}
		return f(r.Latency)
	}
	switch direct.Scenario {
	case "echo":
		add("messages/s (round trips)", "higher", direct.DeliveredPerSec, target.DeliveredPerSec)
		add("p50 ms", "lower", lat(direct, p50), lat(target, p50))
		add("p99 ms", "lower", lat(direct, p99), lat(target, p99))
		add("p99.9 ms", "lower", lat(direct, p999), lat(target, p999))
		add("connections/s", "higher", direct.Connect.PerSec, target.Connect.PerSec)
	case "fanout":
		for i, d := range direct.Fanout {
			if i >= len(target.Fanout) {
				break
			}
			t := target.Fanout[i]
			add(fmt.Sprintf("best deliveries/s, %d members", d.Members), "higher", bestRate(d), bestRate(t))
			add(fmt.Sprintf("p99 ms at best, %d members", d.Members), "lower", bestP99(d), bestP99(t))
		}
	case "idle":
		add("RSS bytes per connection (sum of processes)", "lower", sumRSS(direct, perConn), sumRSS(target, perConn))
		add("RSS bytes per room (sum of processes)", "lower", sumRSS(direct, perRoom), sumRSS(target, perRoom))
		add("connections/s", "higher", direct.Connect.PerSec, target.Connect.PerSec)
	case "failover":
		add("all rooms recovered ms", "lower", failAll(direct), failAll(target))
		add("recovery p50 ms", "lower", failP50(direct), failP50(target))
		add("max gap ms", "lower", failGap(direct), failGap(target))
	}
	return c
}

func p50(l *LatencySummary) float64  { return l.P50Ms }
func p99(l *LatencySummary) float64  { return l.P99Ms }
func p999(l *LatencySummary) float64 { return l.P999Ms }

func bestRate(f FanoutSize) float64 {
	if f.Best == nil {
		return 0
	}
	return f.Best.DeliveriesPerSec
}

func bestP99(f FanoutSize) float64 {
	if f.Best == nil || f.Best.Latency == nil {
		return 0
	}
	return f.Best.Latency.P99Ms
}

func perConn(p ProcessRSS) float64 { return p.PerConnBytes }
func perRoom(p ProcessRSS) float64 { return p.PerRoomBytes }

func sumRSS(r *Result, f func(ProcessRSS) float64) float64 {
	var s float64
	for _, p := range r.Processes {
		s += f(p)
	}
	return s
}

func failAll(r *Result) float64 {
	if r.Failover == nil {
		return 0
	}
	return r.Failover.AllRecoveredMs
}

func failP50(r *Result) float64 {
	if r.Failover == nil {
		return 0
	}
	return r.Failover.RecoveryP50Ms
}

func failGap(r *Result) float64 {
	if r.Failover == nil {
		return 0
	}
	return r.Failover.MaxGapMs
}
