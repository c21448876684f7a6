package bench

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// FanoutConfig sizes the fanout scenario: for each room size, one member
// publishes at a fixed rate, stepped up until p99 latency at the subscribers
// exceeds the bound; the result is the highest sustained deliveries/s.
type FanoutConfig struct {
	// Sizes are the room sizes (members, publisher included). Default 100, 1000.
	Sizes []int `json:"sizes"`
	// StartDeliveries sets the first step's rate, in deliveries per second
	// at the subscribers. Default 20000.
	StartDeliveries float64 `json:"start_deliveries"`
	// Factor multiplies the rate after each passing step. Default 2.
	Factor float64 `json:"factor"`
	// Refine is how many bisection steps (geometric) follow the first
	// failing step. Default 3.
	Refine int `json:"refine"`
	// NoRetry counts a failing step at once. Default false: a failing rate
	// is held once more before it counts as failed.
	NoRetry bool `json:"no_retry"`
	// Step is how long each rate is held. Default 2s.
	Step time.Duration `json:"step"`
	// Drain is the longest wait for a step's deliveries after it. Default 3s.
	Drain time.Duration `json:"drain"`
	// P99 is the latency bound a step must meet. Default 50ms.
	P99 time.Duration `json:"p99"`
	// MinDelivered is the fraction of expected deliveries a step must see.
	// Default 0.999.
	MinDelivered float64 `json:"min_delivered"`
	// Budget bounds the time spent per size, connecting included; a step
	// starts only while it fits, its drain may overrun. Default 50s.
	Budget time.Duration `json:"budget"`
	// MaxRate caps the publish rate (messages/s). Default 200000.
	MaxRate float64 `json:"max_rate"`
	// PayloadSize pads each message to this many bytes. Default 64.
	PayloadSize int `json:"payload_size"`
	// DialConcurrency bounds dials in flight. Default 128.
	DialConcurrency int `json:"dial_concurrency"`
}

func (c *FanoutConfig) ensureDefaults() {
	if len(c.Sizes) == 0 {
		c.Sizes = []int{100, 1000}
	}
	if c.StartDeliveries <= 0 {
		c.StartDeliveries = 20000
	}
	if c.Factor <= 1 {
		c.Factor = 2
	}
	if c.Refine < 0 {
		c.Refine = 0
	} else if c.Refine == 0 {
		c.Refine = 3
	}
	if c.Step <= 0 {
		c.Step = 2 * time.Second
	}
	if c.Drain <= 0 {
		c.Drain = 3 * time.Second
	}
	if c.P99 <= 0 {
		c.P99 = 50 * time.Millisecond
	}
	if c.MinDelivered <= 0 {
		c.MinDelivered = 0.999
	}
	if c.Budget <= 0 {
		c.Budget = 50 * time.Second
	}
	if c.MaxRate <= 0 {
		c.MaxRate = 200000
	}
	if c.PayloadSize <= 0 {
		c.PayloadSize = 64
	}
	if c.DialConcurrency <= 0 {
		c.DialConcurrency = 128
	}
}

// FanoutStep is one held rate.
type FanoutStep struct {
	// Rate is the publish rate asked for, messages/s.
	Rate float64 `json:"rate"`
	// Sent is what the publisher managed to send in the step.
	Sent uint64 `json:"sent"`
	// Seconds is how long sending took (longer than the step when the
	// publisher could not keep up).
	Seconds float64 `json:"seconds"`
	// Expected and Delivered count frames at the subscribers.
	Expected         uint64          `json:"expected"`
	Delivered        uint64          `json:"delivered"`
	DeliveriesPerSec float64         `json:"deliveries_per_sec"`
	Latency          *LatencySummary `json:"latency,omitempty"`
	Pass             bool            `json:"pass"`
	// Reason says why a step failed.
	Reason string `json:"reason,omitempty"`
}

// FanoutSize is the search for one room size.
type FanoutSize struct {
	Members int          `json:"members"`
	Connect ConnectStats `json:"connect"`
	Steps   []FanoutStep `json:"steps"`
	// Best is the passing step with the most deliveries per second.
	Best *FanoutStep `json:"best,omitempty"`
	// Error is set when the room never became ready.
	Error string `json:"error,omitempty"`
}

// fanStep accumulates deliveries of the messages sent during one step.
type fanStep struct {
	firstSeq uint64
	hist     *Histogram // its Count is the step's deliveries
}

// stepTable maps a publisher sequence number to its step. Readers load it
// without locks; the publisher replaces it whole before each step.
type stepTable struct {
	p atomic.Pointer[[]*fanStep]
}

func (t *stepTable) add(s *fanStep) {
	var next []*fanStep
	if cur := t.p.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, s)
	t.p.Store(&next)
}

func (t *stepTable) find(seq uint64) *fanStep {
	cur := t.p.Load()
	if cur == nil {
		return nil
	}
	steps := *cur
	for i := len(steps) - 1; i >= 0; i-- {
		if seq >= steps[i].firstSeq {
			return steps[i]
		}
	}
	return nil
}

// RunFanout runs the fanout scenario for each configured room size.
func RunFanout(ctx context.Context, env Env, cfg FanoutConfig) (*Result, error) {
	cfg.ensureDefaults()
	target, err := env.ensureDefaults()
	if err != nil {
		return nil, err
	}
	res := newResult("fanout", &env, cfg)
	rss := NewRSSSampler(env.Processes)
	before := rss.Sample()
	samplerCtx, stopSampler := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { rss.Run(samplerCtx, 250*time.Millisecond) })
	defer func() { stopSampler(); wg.Wait() }()

	start := time.Now()
	all := &HistogramSnapshot{}
	for _, size := range cfg.Sizes {
		if size < 2 {
			return nil, fmt.Errorf("%w: fanout room size %d < 2", ErrBadConfig, size)
		}
		fs, best, counters, err := runFanoutSize(ctx, env, target, cfg, size)
		if err != nil {
			return nil, err
		}
		res.Fanout = append(res.Fanout, fs)
		res.Connect.Merge(fs.Connect)
		res.Counters.Merge(counters)
		if best != nil {
			all.Merge(best)
		}
	}
	stopSampler()
	wg.Wait()
	res.ElapsedSec = time.Since(start).Seconds()
	res.SentPerSec = float64(res.Counters.Sent) / res.ElapsedSec
	res.DeliveredPerSec = float64(res.Counters.Delivered) / res.ElapsedSec
	res.Latency = Summarize(all)
	res.Processes = rss.Report(before, rss.Sample())
	return res, nil
}

// runFanoutSize searches the sustained rate of one room size. It returns the
// best step's histogram too.
func runFanoutSize(ctx context.Context, env Env, target Target, cfg FanoutConfig, size int) (FanoutSize, *HistogramSnapshot, CounterSnapshot, error) {
	deadline := time.Now().Add(cfg.Budget)
	out := FanoutSize{Members: size}
	others, _ := target.Frames(ClassBroadcast)
	var steps stepTable
	counters := &Counters{}
	fleet, conn, err := StartFleet(ctx, FleetConfig{
		Target: target, Class: ClassBroadcast, Rooms: roomNames(fmt.Sprintf("fanout%d", size), 1),
		PerRoom: size, DialConcurrency: cfg.DialConcurrency, PayloadSize: cfg.PayloadSize,
		Client: env.Client, Counters: counters, Logger: env.Logger,
		OnFrame: func(m *Member, d Delivery, at time.Time) {
			if d.Payload.Tag == uint32(m.ID) {
				return
			}
			if s := steps.find(d.Payload.Seq); s != nil {
				s.hist.Record(at.Sub(time.Unix(0, d.Payload.Sent)))
			}
		},
	})
	if err != nil {
		return out, nil, CounterSnapshot{}, err
	}
	defer fleet.Close()
	out.Connect = conn
	if conn.Established < size {
		out.Error = fmt.Sprintf("only %d of %d members connected: %s", conn.Established, size, conn.FirstError)
		return out, nil, fleet.Snapshot(), nil
	}
	if p := waitRoomReady(ctx, fleet, 10*time.Second); p.RoomsOK != 1 {
		out.Error = fmt.Sprintf("room not ready: probe delivered %d of %d", p.Delivered, p.Expected)
		return out, nil, fleet.Snapshot(), nil
	}
	quiesce(ctx, fleet, 10*time.Second)

	pub := fleet.Members()[0]
	perMsg := uint64((size - 1) * others)
	rate := cfg.StartDeliveries / float64(perMsg)
	good, bad := 0.0, math.Inf(1)
	refined := 0
	retried := false
	var bestHist *HistogramSnapshot
	for ctx.Err() == nil && rate <= cfg.MaxRate && time.Until(deadline) > cfg.Step+200*time.Millisecond {
		s := &fanStep{firstSeq: pub.seq.Load() + 1, hist: NewHistogram()}
		steps.add(s)
		disc := counters.Snapshot().TotalDisconnects()
		sent, took := pace(ctx, rate, cfg.Step, func() error { _, err := pub.Send(); return err })
		expected := sent * perMsg
		waitFor(ctx, cfg.Drain, func() bool { return s.hist.Count() >= expected })
		snap := s.hist.Snapshot()
		st := FanoutStep{
			Rate: rate, Sent: sent, Expected: expected, Delivered: snap.Total,
			Latency: Summarize(snap), Seconds: took.Seconds(),
		}
		st.DeliveriesPerSec = float64(min(st.Delivered, expected)) / max(took.Seconds(), cfg.Step.Seconds())
		st.Pass, st.Reason = judgeStep(cfg, st, snap, counters.Snapshot().TotalDisconnects()-disc)
		out.Steps = append(out.Steps, st)
		env.Logger.Info("bench: fanout step", "members", size, "rate", math.Round(rate),
			"deliveries_per_sec", math.Round(st.DeliveriesPerSec), "p99_ms", p99Of(st), "pass", st.Pass, "reason", st.Reason)
		if st.Pass && (out.Best == nil || st.DeliveriesPerSec > out.Best.DeliveriesPerSec) {
			best := st
			out.Best, bestHist = &best, snap
		}
		if fleet.Connected() < size {
			break // members were dropped; later steps would measure a smaller room
		}
		if !st.Pass && !retried && !cfg.NoRetry {
			// A failure may be a hiccup (GC, a noisy neighbour): hold the
			// same rate once more before believing it.
			retried = true
			quiesce(ctx, fleet, min(10*time.Second, time.Until(deadline)))
			continue
		}
		retried = false
		if st.Pass {
			good = rate
		} else {
			bad = rate
		}
		if !math.IsInf(bad, 1) {
			if refined >= cfg.Refine {
				break
			}
			refined++
		}
		rate = nextRate(good, bad, rate, cfg.Factor)
		quiesce(ctx, fleet, min(10*time.Second, time.Until(deadline)))
	}
	fleet.Close()
	return out, bestHist, fleet.Snapshot(), nil
}

// nextRate doubles (by factor) while no step failed, then bisects
// geometrically between the best passing and the lowest failing rate.
func nextRate(good, bad, cur, factor float64) float64 {
	switch {
	case math.IsInf(bad, 1):
		return cur * factor
	case good == 0:
		return cur / factor
	default:
		return math.Sqrt(good * bad)
	}
}

// judgeStep decides whether a step was sustained.
func judgeStep(cfg FanoutConfig, st FanoutStep, snap *HistogramSnapshot, disconnects uint64) (bool, string) {
	want := math.Round(st.Rate * cfg.Step.Seconds())
	switch {
	case disconnects > 0:
		return false, fmt.Sprintf("%d disconnects", disconnects)
	case float64(st.Sent) < want:
		return false, fmt.Sprintf("publisher sent %d of %.0f", st.Sent, want)
	case st.Seconds > 1.05*cfg.Step.Seconds()+0.01:
		return false, fmt.Sprintf("publisher fell behind: %.2fs for a %v step", st.Seconds, cfg.Step)
	case float64(st.Delivered) < cfg.MinDelivered*float64(st.Expected):
		return false, fmt.Sprintf("delivered %d of %d", st.Delivered, st.Expected)
	case snap.Quantile(0.99) > cfg.P99:
		return false, fmt.Sprintf("p99 %v > %v", snap.Quantile(0.99).Round(time.Microsecond), cfg.P99)
	}
	return true, ""
}

func p99Of(st FanoutStep) float64 {
	if st.Latency == nil {
		return 0
	}
	return st.Latency.P99Ms
}

// waitRoomReady probes until every member receives a message (members
// become room members shortly after their upgrade completes).
func waitRoomReady(ctx context.Context, f *Fleet, timeout time.Duration) ProbeStats {
	deadline := time.Now().Add(timeout)
	for {
		p := f.Probe(ctx, 500*time.Millisecond)
		if p.RoomsOK == p.Rooms || time.Now().After(deadline) || ctx.Err() != nil {
			return p
		}
	}
}

// pace calls send rate times per second until it has been called
// rate*d times (bursting to catch up when the timer fires late) and returns
// how many sends succeeded and how long it took.
func pace(ctx context.Context, rate float64, d time.Duration, send func() error) (uint64, time.Duration) {
	start := time.Now()
	total := uint64(math.Round(rate * d.Seconds()))
	var n, ok uint64
	for n < total && ctx.Err() == nil {
		due := min(total, uint64(time.Since(start).Seconds()*rate)+1)
		for ; n < due; n++ {
			if send() == nil {
				ok++
			}
		}
		next := time.Duration(float64(n) / rate * float64(time.Second))
		if wait := next - time.Since(start); wait > 0 && n < total {
			sleepCtx(ctx, wait)
		}
	}
	return ok, time.Since(start)
}

// waitFor polls cond every 5ms until it holds or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) || !sleepCtx(ctx, 5*time.Millisecond) {
			return cond()
		}
	}
	return true
}

// quiesce waits until no frame has arrived for 200ms (at most max).
func quiesce(ctx context.Context, f *Fleet, max time.Duration) {
	deadline := time.Now().Add(max)
	last := f.Frames()
	for time.Now().Before(deadline) && sleepCtx(ctx, 200*time.Millisecond) {
		cur := f.Frames()
		if cur == last {
			return
		}
		last = cur
	}
}
