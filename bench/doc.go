// Package bench is roomshard's load harness: WebSocket clients, latency
// histograms, counters, process RSS sampling and the four scenarios (echo,
// fanout, idle, failover) that drive a gateway, a plain broadcast peer or the
// in-harness direct baseline (package bench/direct).
//
// What it owns:
//   - payload.go: the timestamped payload carried inside every message.
//   - histogram.go: an HDR-style log-linear latency histogram.
//   - counters.go: message, error and close-code counters.
//   - target.go: what to dial and how to read replies, per server protocol.
//   - client.go, fleet.go, probe.go: WebSocket clients grouped into rooms.
//   - worker.go: re-exec'd worker processes holding part of a fleet.
//   - rss.go: VmRSS sampling of the processes under test.
//   - env.go: what a scenario drives (TargetSpec, Env).
//   - baseline.go, hubproc.go: the direct baseline, in this process or as
//     a child process.
//   - echo.go, fanout.go, idle.go, failover.go, run.go: the scenarios.
//   - result.go, compare.go, report.go: JSON results, ratios and tables.
//
// Concurrency: Histogram, Counters, RSSSampler and Fleet are safe for
// concurrent use; the documented callbacks (FleetConfig.OnFrame) are called
// from one goroutine per member and must be goroutine-safe themselves.
// Scenario functions (RunEcho, RunFanout, ...) block until done; run them one
// at a time per target, since they share the machine's CPU.
package bench
