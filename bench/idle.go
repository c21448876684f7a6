package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// IdleConfig sizes the idle scenario: many connections spread over rooms,
// then nothing; it measures memory per connection and per room.
type IdleConfig struct {
	// Conns is the number of connections. Default 10000.
	Conns int `json:"conns"`
	// Rooms spreads them (Conns/Rooms each, rounded down). Default 1000.
	Rooms int `json:"rooms"`
	// Settle is the wait after connecting before measuring. Default 5s.
	Settle time.Duration `json:"settle"`
	// Idle is how long connections then stay silent. Default 30s.
	Idle time.Duration `json:"idle"`
	// Procs is the number of worker processes holding the clients (the fd
	// limit is per process). 0 keeps clients in this process. Default 0;
	// the CLI defaults to 4.
	Procs int `json:"procs"`
	// Probe sends one message per room after the idle period and checks
	// that every room still delivers. Default true (set NoProbe to skip).
	NoProbe bool `json:"no_probe"`
	// ProbeTimeout bounds the probe. Default 15s.
	ProbeTimeout time.Duration `json:"probe_timeout"`
	// DialConcurrency bounds dials in flight per worker. Default 64.
	DialConcurrency int `json:"dial_concurrency"`
	// ConnectTimeout bounds the connection phase. Default 90s.
	ConnectTimeout time.Duration `json:"connect_timeout"`
}

func (c *IdleConfig) ensureDefaults() {
	if c.Conns <= 0 {
		c.Conns = 10000
	}
	if c.Rooms <= 0 {
		c.Rooms = 1000
	}
	c.Rooms = min(c.Rooms, c.Conns)
	if c.Settle <= 0 {
		c.Settle = 5 * time.Second
	}
	if c.Idle <= 0 {
		c.Idle = 30 * time.Second
	}
	c.Procs = max(c.Procs, 0)
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = 15 * time.Second
	}
	if c.DialConcurrency <= 0 {
		c.DialConcurrency = 64
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 90 * time.Second
	}
}

// IdleResult is the idle scenario's own part of a Result.
type IdleResult struct {
	Conns   int `json:"conns"`
	Rooms   int `json:"rooms"`
	Workers int `json:"workers"`
	// DisconnectsDuringIdle counts connections the server ended.
	Disconnects uint64      `json:"disconnects"`
	Probe       *ProbeStats `json:"probe,omitempty"`
}

// RunIdle runs the idle scenario.
func RunIdle(ctx context.Context, env Env, cfg IdleConfig) (*Result, error) {
	cfg.ensureDefaults()
	if _, err := env.ensureDefaults(); err != nil {
		return nil, err
	}
	spawn := env.Spawn
	nworkers := cfg.Procs
	if spawn == nil || nworkers == 0 {
		spawn, nworkers = InProcessSpawner(env.Logger), 1
	}
	res := newResult("idle", &env, cfg)
	perRoom := cfg.Conns / cfg.Rooms
	rooms := roomNames("idle", cfg.Rooms)

	rss := NewRSSSampler(env.Processes)
	before := rss.Sample()
	samplerCtx, stopSampler := context.WithCancel(ctx)
	var swg sync.WaitGroup
	swg.Go(func() { rss.Run(samplerCtx, 500*time.Millisecond) })
	defer func() { stopSampler(); swg.Wait() }()

	workers, err := startWorkers(ctx, spawn, nworkers)
	defer func() {
		for _, w := range workers {
			_ = w.close()
		}
	}()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	for i, w := range workers {
		job := WorkerJob{
			Spec: env.Spec, Class: ClassBroadcast, PerRoom: perRoom,
			DialConcurrency: cfg.DialConcurrency, PayloadSize: 64,
			ProbeTimeout: cfg.ProbeTimeout, Client: env.Client,
		}
		for r := i; r < len(rooms); r += len(workers) {
			job.Rooms = append(job.Rooms, rooms[r])
		}
		if err := w.send(job); err != nil {
			return nil, fmt.Errorf("bench: send job to worker %d: %w", i, err)
		}
	}
	connCtx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	reports, err := collect(connCtx, workers, "ready")
	if err != nil {
		return nil, err
	}
	for _, r := range reports {
		res.Connect.Merge(*r.Connect)
	}
	res.Connect.ElapsedSec = time.Since(start).Seconds()
	res.Connect.PerSec = float64(res.Connect.Established) / res.Connect.ElapsedSec
	if res.Connect.Established == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoConnections, res.Connect.FirstError)
	}
	env.Logger.Info("bench: idle connected", "established", res.Connect.Established, "per_sec", int(res.Connect.PerSec))

	if !sleepCtx(ctx, cfg.Settle) {
		return nil, ctx.Err()
	}
	loaded := rss.Sample()
	if !sleepCtx(ctx, cfg.Idle) {
		return nil, ctx.Err()
	}
	afterIdle := rss.Sample()

	idle := &IdleResult{Conns: res.Connect.Established, Rooms: cfg.Rooms, Workers: len(workers)}
	if !cfg.NoProbe {
		probes, err := commandAll(ctx, workers, "probe")
		if err != nil {
			return nil, err
		}
		idle.Probe = &ProbeStats{}
		for _, p := range probes {
			idle.Probe.Merge(*p.Probe)
		}
	}
	done, err := commandAll(ctx, workers, "stop")
	if err != nil {
		return nil, err
	}
	for _, d := range done {
		res.Counters.Merge(*d.Counters)
	}
	idle.Disconnects = res.Counters.TotalDisconnects()
	res.Idle = idle
	res.ElapsedSec = time.Since(start).Seconds()

	stopSampler()
	swg.Wait()
	res.Processes = rss.Report(before, loaded)
	for i := range res.Processes {
		p := &res.Processes[i]
		p.AfterIdleBytes = afterIdle[i]
		growth := float64(p.LoadedBytes - p.BeforeBytes)
		p.PerConnBytes = growth / float64(max(idle.Conns, 1))
		p.PerRoomBytes = growth / float64(cfg.Rooms)
	}
	res.Groups = GroupRSS(res.Processes)
	return res, nil
}

func startWorkers(ctx context.Context, spawn Spawner, n int) ([]*WorkerConn, error) {
	var ws []*WorkerConn
	for i := range n {
		w, err := spawn(ctx)
		if err != nil {
			return ws, fmt.Errorf("bench: spawn worker %d: %w", i, err)
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// commandAll sends cmd to every worker and collects the matching reports.
func commandAll(ctx context.Context, ws []*WorkerConn, cmd string) ([]WorkerReport, error) {
	event := cmd
	if cmd == "stop" {
		event = "done"
	}
	for _, w := range ws {
		if err := w.command(cmd); err != nil {
			return nil, fmt.Errorf("bench: command %s: %w", cmd, err)
		}
	}
	return collect(ctx, ws, event)
}

// collect waits for one report of event from every worker, in parallel.
func collect(ctx context.Context, ws []*WorkerConn, event string) ([]WorkerReport, error) {
	out := make([]WorkerReport, len(ws))
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() { out[i], errs[i] = w.recv(ctx, event) })
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
