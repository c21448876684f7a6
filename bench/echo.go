package bench

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// EchoConfig sizes the echo scenario: every client sends a message, waits
// for its echo, and repeats, for Duration. With Rate set, clients send on a
// schedule instead (an open loop), so latency is measured at that load
// rather than at the system's saturation point.
type EchoConfig struct {
	// Clients is the number of connections. Default 100.
	Clients int `json:"clients"`
	// Rooms spreads clients over this many echo rooms (Clients/Rooms each,
	// rounded down). Default: one room per client.
	Rooms int `json:"rooms"`
	// Duration of the send/reply loop. Default 10s.
	Duration time.Duration `json:"duration"`
	// ReplyTimeout counts a reply as lost after this long. Default 5s.
	ReplyTimeout time.Duration `json:"reply_timeout"`
	// PayloadSize pads each message to this many bytes. Default 64.
	PayloadSize int `json:"payload_size"`
	// DialConcurrency bounds dials in flight. Default 128.
	DialConcurrency int `json:"dial_concurrency"`
	// Rate is the total messages/s over all clients, each sending its share
	// on a fixed schedule (start times staggered) without waiting for
	// replies; a client that falls behind catches up, so a slow system
	// shows as latency, not as a lower rate. Default 0: closed loop.
	Rate float64 `json:"rate,omitempty"`
}

func (c *EchoConfig) ensureDefaults() {
	if c.Clients <= 0 {
		c.Clients = 100
	}
	if c.Rooms <= 0 || c.Rooms > c.Clients {
		c.Rooms = c.Clients
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.ReplyTimeout <= 0 {
		c.ReplyTimeout = 5 * time.Second
	}
	if c.PayloadSize <= 0 {
		c.PayloadSize = 64
	}
	if c.DialConcurrency <= 0 {
		c.DialConcurrency = 128
	}
}

// RunEcho runs the echo scenario: round-trip latency and messages per second.
func RunEcho(ctx context.Context, env Env, cfg EchoConfig) (*Result, error) {
	cfg.ensureDefaults()
	target, err := env.ensureDefaults()
	if err != nil {
		return nil, err
	}
	if _, self := target.Frames(ClassEcho); self == 0 {
		return nil, fmt.Errorf("%w: echo needs a target that answers the sender", ErrBadConfig)
	}
	res := newResult("echo", &env, cfg)
	hist := NewHistogram()
	replies := make([]chan uint64, cfg.Clients)
	for i := range replies {
		replies[i] = make(chan uint64, 1)
	}
	rss := NewRSSSampler(env.Processes)
	before := rss.Sample()

	fleet, conn, err := StartFleet(ctx, FleetConfig{
		Target: target, Class: ClassEcho, Rooms: roomNames("echo", cfg.Rooms),
		PerRoom: cfg.Clients / cfg.Rooms, DialConcurrency: cfg.DialConcurrency,
		PayloadSize: cfg.PayloadSize, Client: env.Client, Logger: env.Logger,
		OnFrame: func(m *Member, d Delivery, at time.Time) {
			if d.Payload.Tag != uint32(m.ID) {
				return
			}
			hist.Record(at.Sub(time.Unix(0, d.Payload.Sent)))
			select {
			case replies[m.ID] <- d.Payload.Seq:
			default:
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

	loadCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	samplerCtx, stopSampler := context.WithCancel(ctx)
	var sampler, wg sync.WaitGroup
	sampler.Go(func() { rss.Run(samplerCtx, 250*time.Millisecond) })
	start := time.Now()
	var senders []*Member
	for _, m := range fleet.Members() {
		if m.Connected() {
			senders = append(senders, m)
		}
	}
	for i, m := range senders {
		if cfg.Rate > 0 {
			perClient := cfg.Rate / float64(len(senders))
			offset := time.Duration(float64(i) / float64(len(senders)) / perClient * float64(time.Second))
			wg.Go(func() { pacedEchoLoop(loadCtx, m, perClient, offset, cfg.Duration) })
			continue
		}
		wg.Go(func() { echoLoop(loadCtx, m, replies[m.ID], cfg.ReplyTimeout) })
	}
	<-loadCtx.Done()
	elapsed := time.Since(start)
	wg.Wait()
	if cfg.Rate > 0 {
		// Open loop: replies to the last sends are still on their way.
		waitFor(ctx, cfg.ReplyTimeout, func() bool { s := fleet.Snapshot(); return s.Delivered >= s.Sent })
	}
	stopSampler()
	sampler.Wait()
	res.Processes = rss.Report(before, rss.Sample())
	fleet.Close() // no frame is counted after this

	res.Counters = fleet.Snapshot()
	res.ElapsedSec = elapsed.Seconds()
	res.SentPerSec = float64(res.Counters.Sent) / elapsed.Seconds()
	res.DeliveredPerSec = float64(res.Counters.Delivered) / elapsed.Seconds()
	res.Latency = Summarize(hist.Snapshot())
	return res, nil
}

// pacedEchoLoop sends rate messages/s from offset until d has passed since
// the loop began, without waiting for replies (OnFrame records them).
func pacedEchoLoop(ctx context.Context, m *Member, rate float64, offset, d time.Duration) {
	if !sleepCtx(ctx, offset) {
		return
	}
	pace(ctx, rate, d-offset, func() error { _, err := m.Send(); return err })
}

// echoLoop sends, waits for the matching reply, and repeats until ctx ends.
func echoLoop(ctx context.Context, m *Member, replies <-chan uint64, timeout time.Duration) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for ctx.Err() == nil {
		p, err := m.Send()
		if err != nil {
			if !sleepCtx(ctx, 100*time.Millisecond) {
				return
			}
			continue
		}
		timer.Reset(timeout)
	wait:
		for {
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
				m.fleet.cfg.Counters.Error(ErrKindTimeout)
				break wait
			case seq := <-replies:
				if seq == p.Seq {
					break wait
				}
			}
		}
	}
}
