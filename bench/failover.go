package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// FailoverConfig sizes the failover scenario: busy rooms, then Env.Kill, then
// the time until every room delivers again.
type FailoverConfig struct {
	// Rooms is the number of busy rooms. Default 20.
	Rooms int `json:"rooms"`
	// Members per room; member 0 publishes. Default 5.
	Members int `json:"members"`
	// Rate is each publisher's messages per second. Default 20.
	Rate float64 `json:"rate"`
	// Warmup is the busy time before the kill. Default 3s.
	Warmup time.Duration `json:"warmup"`
	// Timeout bounds the wait for every room to recover. Default 60s.
	Timeout time.Duration `json:"timeout"`
	// After keeps the load on once every room recovered. Default 2s.
	After time.Duration `json:"after"`
	// NoReconnect: clients stay down once disconnected. Default false
	// (clients redial, as real ones do after 1006/1012/1013).
	NoReconnect bool `json:"no_reconnect"`
	// PayloadSize pads each message to this many bytes. Default 64.
	PayloadSize int `json:"payload_size"`
	// DialConcurrency bounds dials in flight. Default 128.
	DialConcurrency int `json:"dial_concurrency"`
}

func (c *FailoverConfig) ensureDefaults() {
	if c.Rooms <= 0 {
		c.Rooms = 20
	}
	if c.Members < 2 {
		c.Members = 5
	}
	if c.Rate <= 0 {
		c.Rate = 20
	}
	if c.Warmup <= 0 {
		c.Warmup = 3 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 60 * time.Second
	}
	if c.After <= 0 {
		c.After = 2 * time.Second
	}
	if c.PayloadSize <= 0 {
		c.PayloadSize = 64
	}
	if c.DialConcurrency <= 0 {
		c.DialConcurrency = 128
	}
}

// FailoverResult is the failover scenario's own part of a Result. A room has
// recovered when a subscriber receives a message sent after the kill; its
// recovery time is that receive time minus the kill time (so even an
// unaffected room shows about one publish interval plus latency).
type FailoverResult struct {
	Rooms          int    `json:"rooms"`
	RoomsRecovered int    `json:"rooms_recovered"`
	KillError      string `json:"kill_error,omitempty"`
	// AllRecoveredMs is the time until the last room recovered: the figure
	// of merit. Zero when some room never recovered within Timeout.
	AllRecoveredMs float64 `json:"all_recovered_ms"`
	// RecoveryP50Ms, RecoveryP90Ms and RecoveryP99Ms are over the rooms
	// that recovered (nearest rank).
	RecoveryP50Ms float64 `json:"recovery_p50_ms"`
	RecoveryP90Ms float64 `json:"recovery_p90_ms"`
	RecoveryP99Ms float64 `json:"recovery_p99_ms"`
	// MaxGapMs is the longest pause between deliveries at any room's first
	// subscriber across the kill.
	MaxGapMs float64 `json:"max_gap_ms"`
	// RoomsAffected counts rooms whose first subscriber saw a pause longer
	// than three publish intervals after the kill.
	RoomsAffected int `json:"rooms_affected"`
	// LatencyBefore is delivery latency before the kill.
	LatencyBefore *LatencySummary `json:"latency_before,omitempty"`
}

// failRoom tracks one room across the kill. first is written by any of the
// room's subscribers; last and maxGap only by subscriber 1.
type failRoom struct {
	first  atomic.Int64 // receive time (ns) of the first post-kill message
	last   atomic.Int64
	maxGap atomic.Int64
}

// RunFailover runs the failover scenario; env.Kill is required.
func RunFailover(ctx context.Context, env Env, cfg FailoverConfig) (*Result, error) {
	cfg.ensureDefaults()
	target, err := env.ensureDefaults()
	if err != nil {
		return nil, err
	}
	if env.Kill == nil {
		return nil, fmt.Errorf("%w: failover needs a kill action (e.g. --kill-pid)", ErrBadConfig)
	}
	res := newResult("failover", &env, cfg)
	rooms := make([]failRoom, cfg.Rooms)
	var killAt atomic.Int64
	before, after := NewHistogram(), NewHistogram()
	rss := NewRSSSampler(env.Processes)
	rssBefore := rss.Sample()

	fleet, conn, err := StartFleet(ctx, FleetConfig{
		Target: target, Class: ClassBroadcast, Rooms: roomNames("failover", cfg.Rooms),
		PerRoom: cfg.Members, DialConcurrency: cfg.DialConcurrency, Reconnect: !cfg.NoReconnect,
		PayloadSize: cfg.PayloadSize, Client: env.Client, Logger: env.Logger,
		OnFrame: func(m *Member, d Delivery, at time.Time) {
			if d.Payload.Tag == uint32(m.ID) {
				return
			}
			r := &rooms[m.Room]
			k := killAt.Load()
			lat := at.Sub(time.Unix(0, d.Payload.Sent))
			if k == 0 {
				before.Record(lat)
			} else {
				after.Record(lat)
				if d.Payload.Sent >= k {
					r.first.CompareAndSwap(0, at.UnixNano())
				}
			}
			if m.Index == 1 {
				now := at.UnixNano()
				if prev := r.last.Swap(now); k != 0 && prev != 0 && now-prev > r.maxGap.Load() {
					r.maxGap.Store(now - prev)
				}
			}
		},
	})
	if err != nil {
		return nil, err
	}
	defer fleet.Close()
	res.Connect = conn
	if conn.Established == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoConnections, conn.FirstError)
	}
	if p := waitRoomReady(ctx, fleet, 10*time.Second); p.RoomsOK != p.Rooms {
		env.Logger.Warn("bench: failover rooms not all ready", "ok", p.RoomsOK, "rooms", p.Rooms)
	}

	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var wg sync.WaitGroup
	wg.Go(func() { rss.Run(loadCtx, 250*time.Millisecond) })
	start := time.Now()
	period := time.Duration(float64(time.Second) / cfg.Rate)
	for r := range cfg.Rooms {
		pub := fleet.Members()[r*cfg.Members]
		// Stagger the publishers over one period so rooms do not send in
		// lockstep.
		offset := period * time.Duration(r) / time.Duration(cfg.Rooms)
		wg.Go(func() {
			if sleepCtx(loadCtx, offset) {
				pace(loadCtx, cfg.Rate, 24*time.Hour, func() error { _, err := pub.Send(); return err })
			}
		})
	}

	out := &FailoverResult{Rooms: cfg.Rooms}
	if sleepCtx(ctx, cfg.Warmup) {
		killAt.Store(time.Now().UnixNano())
		env.Logger.Info("bench: failover kill")
		if err := env.Kill(ctx); err != nil {
			out.KillError = err.Error()
		}
		recovered := func() bool {
			for i := range rooms {
				if rooms[i].first.Load() == 0 {
					return false
				}
			}
			return true
		}
		waitFor(ctx, cfg.Timeout, recovered)
		sleepCtx(ctx, cfg.After)
	}
	stopLoad()
	wg.Wait()
	elapsed := time.Since(start)
	res.Processes = rss.Report(rssBefore, rss.Sample())
	fleet.Close() // no frame is counted after this

	k := killAt.Load()
	var rec []float64
	for i := range rooms {
		if f := rooms[i].first.Load(); f != 0 {
			rec = append(rec, ms(time.Duration(f-k)))
		}
		gap := time.Duration(rooms[i].maxGap.Load())
		out.MaxGapMs = max(out.MaxGapMs, ms(gap))
		if gap > 3*period {
			out.RoomsAffected++
		}
	}
	slices.Sort(rec)
	out.RoomsRecovered = len(rec)
	if len(rec) > 0 {
		out.RecoveryP50Ms = rec[(len(rec)-1)/2]
		out.RecoveryP90Ms = nearestRank(rec, 90)
		out.RecoveryP99Ms = nearestRank(rec, 99)
		if len(rec) == cfg.Rooms {
			out.AllRecoveredMs = rec[len(rec)-1]
		}
	}
	out.LatencyBefore = Summarize(before.Snapshot())
	res.Failover = out
	res.Counters = fleet.Snapshot()
	res.ElapsedSec = elapsed.Seconds()
	res.SentPerSec = float64(res.Counters.Sent) / elapsed.Seconds()
	res.DeliveredPerSec = float64(res.Counters.Delivered) / elapsed.Seconds()
	all := before.Snapshot()
	all.Merge(after.Snapshot())
	res.Latency = Summarize(all)
	return res, nil
}

// nearestRank is the pct-th percentile of sorted by nearest rank: the
// smallest value at or below which pct percent of the values lie.
func nearestRank(sorted []float64, pct int) float64 {
	rank := (len(sorted)*pct + 99) / 100
	return sorted[max(rank, 1)-1]
}
