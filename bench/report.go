package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteTable writes a short human-readable summary of a result.
func WriteTable(w io.Writer, r *Result) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	row := func(k string, format string, a ...any) {
		fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, a...)...)
	}
	row("scenario", "%s against %s (%s), %.1fs", r.Scenario, r.System, r.Protocol, r.ElapsedSec)
	row("connections", "%d/%d established, %.0f/s%s", r.Connect.Established, r.Connect.Attempted, r.Connect.PerSec, firstErr(r.Connect))
	row("messages", "%d sent (%.0f/s), %d delivered (%.0f/s)", r.Counters.Sent, r.SentPerSec, r.Counters.Delivered, r.DeliveredPerSec)
	if l := r.Latency; l != nil {
		row("latency ms", "p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (n=%d)", f3(l.P50Ms), f3(l.P90Ms), f3(l.P99Ms), f3(l.P999Ms), f3(l.MaxMs), l.Count)
	}
	row("errors", "%s", kv(r.Counters.Errors))
	row("disconnects", "%s (by close code)", kv(r.Counters.Disconnect))
	for _, f := range r.Fanout {
		if f.Error != "" {
			row(fmt.Sprintf("fanout %d", f.Members), "error: %s", f.Error)
			continue
		}
		if b := f.Best; b != nil {
			row(fmt.Sprintf("fanout %d", f.Members), "best %.0f deliveries/s at %.0f msg/s, p99 %s ms (%d steps)", b.DeliveriesPerSec, b.Rate, f3(bestP99(f)), len(f.Steps))
		} else {
			row(fmt.Sprintf("fanout %d", f.Members), "no step met the bound (%d steps)", len(f.Steps))
		}
	}
	if i := r.Idle; i != nil {
		row("idle", "%d conns in %d rooms over %d worker(s); %d disconnects", i.Conns, i.Rooms, i.Workers, i.Disconnects)
		if p := i.Probe; p != nil {
			row("probe", "%d/%d rooms delivered (%d/%d frames) in %.2fs", p.RoomsOK, p.Rooms, p.Delivered, p.Expected, p.ElapsedSec)
		}
	}
	if f := r.Failover; f != nil {
		row("failover", "%d/%d rooms recovered (%d affected); all by %s ms, p50 %s ms, p90 %s ms, p99 %s ms, max gap %s ms",
			f.RoomsRecovered, f.Rooms, f.RoomsAffected, f3(f.AllRecoveredMs), f3(f.RecoveryP50Ms), f3(f.RecoveryP90Ms), f3(f.RecoveryP99Ms), f3(f.MaxGapMs))
		if f.KillError != "" {
			row("kill error", "%s", f.KillError)
		}
	}
	for _, p := range r.Processes {
		row(fmt.Sprintf("rss %s[%d]", p.Name, p.PID), "%s", rssLine(r, p))
	}
	for _, p := range r.Groups {
		row(fmt.Sprintf("rss %s[sum of %d]", p.Name, p.PID), "%s", rssLine(r, p))
	}
	return tw.Flush()
}

func rssLine(r *Result, p ProcessRSS) string {
	line := fmt.Sprintf("before %s  loaded %s  peak %s", mib(p.BeforeBytes), mib(p.LoadedBytes), mib(p.PeakBytes))
	if r.Idle != nil {
		line += fmt.Sprintf("  after idle %s  per conn %.0f B  per room %.0f B", mib(p.AfterIdleBytes), p.PerConnBytes, p.PerRoomBytes)
	}
	if p.Error != "" {
		line += "  (" + p.Error + ")"
	}
	return line
}

// WriteComparison writes both results and the ratio table.
func WriteComparison(w io.Writer, c *Comparison) error {
	fmt.Fprintln(w, "== direct baseline")
	if err := WriteTable(w, c.Direct); err != nil {
		return err
	}
	fmt.Fprintln(w, "== target")
	if err := WriteTable(w, c.Target); err != nil {
		return err
	}
	fmt.Fprintln(w, "== ratio (target / direct)")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tdirect\ttarget\tratio\tbetter")
	for _, r := range c.Ratios {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\t%s\n", r.Metric, f3(r.Direct), f3(r.Target), r.Ratio, r.Better)
	}
	return tw.Flush()
}

func f3(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

func mib(b int64) string { return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20)) }

func kv(m map[string]uint64) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func firstErr(c ConnectStats) string {
	if c.FirstError == "" {
		return ""
	}
	return " (first error: " + c.FirstError + ")"
}
