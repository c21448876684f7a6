package bench

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// FleetConfig describes a set of clients spread over rooms.
type FleetConfig struct {
	// Target gives room URLs and decodes replies. Required.
	Target Target
	// Class is the room class every member joins. Default ClassEcho (zero).
	Class Class
	// Rooms names the rooms; each gets PerRoom members. Required.
	Rooms []string
	// PerRoom is the number of members per room. Default 1.
	PerRoom int
	// DialConcurrency bounds dials in flight. Default 128.
	DialConcurrency int
	// Reconnect re-dials a member after its connection ends (backoff from
	// 50ms doubling to 1s, with jitter). Default false.
	Reconnect bool
	// PayloadSize pads sent payloads to this many bytes. Default 64.
	PayloadSize int
	// Client tunes each connection.
	Client ClientConfig
	// Counters receives the fleet's counts. Default: a fresh Counters.
	Counters *Counters
	// OnFrame, if set, is called for every decoded delivery, from the
	// receiving member's reader goroutine (one per member, so calls for
	// different members run concurrently). It must not block.
	OnFrame func(m *Member, d Delivery, at time.Time)
	// OnConnect, if set, is called from the member's goroutine after each
	// successful (re)connection. It must not block.
	OnConnect func(m *Member, reconnect bool)
	// Logger receives warnings. Default slog.Default().
	Logger *slog.Logger
}

func (c *FleetConfig) ensureDefaults() error {
	if c.Target == nil || len(c.Rooms) == 0 {
		return fmt.Errorf("%w: fleet needs a target and rooms", ErrBadConfig)
	}
	if c.PerRoom <= 0 {
		c.PerRoom = 1
	}
	if c.DialConcurrency <= 0 {
		c.DialConcurrency = 128
	}
	if c.PayloadSize <= 0 {
		c.PayloadSize = 64
	}
	if c.Counters == nil {
		c.Counters = &Counters{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Client.ensureDefaults()
	return nil
}

// ConnectStats describes the initial connection phase of a fleet.
type ConnectStats struct {
	Attempted   int     `json:"attempted"`
	Established int     `json:"established"`
	Failed      int     `json:"failed"`
	ElapsedSec  float64 `json:"elapsed_sec"`
	PerSec      float64 `json:"per_sec"`
	FirstError  string  `json:"first_error,omitempty"`
}

// Merge combines connection phases that ran in parallel.
func (s *ConnectStats) Merge(o ConnectStats) {
	s.Attempted += o.Attempted
	s.Established += o.Established
	s.Failed += o.Failed
	s.ElapsedSec = max(s.ElapsedSec, o.ElapsedSec)
	if s.FirstError == "" {
		s.FirstError = o.FirstError
	}
	if s.ElapsedSec > 0 {
		s.PerSec = float64(s.Established) / s.ElapsedSec
	}
}

// Member is one client of a fleet. Send methods are safe for concurrent use.
type Member struct {
	// ID is the member's index in the fleet: Room*PerRoom + Index.
	ID int
	// Room is the index of the member's room in FleetConfig.Rooms.
	Room int
	// Index is the member's position in its room; 0 publishes by convention.
	Index int

	url     string
	fleet   *Fleet
	client  atomic.Pointer[Client]
	seq     atomic.Uint64
	scratch []Delivery // reader goroutine only
	// delivered and self count received frames (see CounterSnapshot); only
	// the member's reader writes them, so they are not contended.
	delivered atomic.Uint64
	self      atomic.Uint64

	sendMu  sync.Mutex // protects sendBuf
	sendBuf []byte
}

// Connected reports whether the member has a live connection.
func (m *Member) Connected() bool { return m.client.Load() != nil }

// Send writes a payload tagged with the member's ID, the next sequence
// number and the current time; it returns the payload sent.
func (m *Member) Send() (Payload, error) {
	c := m.client.Load()
	if c == nil {
		m.fleet.cfg.Counters.Error("not_connected")
		return Payload{}, ErrNotConnected
	}
	m.sendMu.Lock()
	defer m.sendMu.Unlock()
	p := Payload{Tag: uint32(m.ID), Seq: m.seq.Add(1), Sent: time.Now().UnixNano()}
	m.sendBuf = AppendPayload(m.sendBuf[:0], p, m.fleet.cfg.PayloadSize)
	if err := c.Write(m.sendBuf); err != nil {
		m.fleet.cfg.Counters.Error(ErrKindWrite)
		return p, fmt.Errorf("member %d: %w", m.ID, err)
	}
	m.fleet.cfg.Counters.Sent.Add(1)
	return p, nil
}

// Fleet is a running set of members, each with one goroutine that dials and
// reads. Methods are safe for concurrent use.
type Fleet struct {
	cfg     FleetConfig
	members []*Member
	ctx     context.Context
	cancel  context.CancelFunc
	closing atomic.Bool
	wg      sync.WaitGroup

	errOnce  sync.Once
	firstErr atomic.Pointer[string]
}

// StartFleet dials every member (at most DialConcurrency at a time) and
// returns once each initial dial has succeeded or failed; ctx bounds this
// dial phase. The fleet then runs until Close, which the caller must call
// whenever StartFleet returned a fleet.
func StartFleet(ctx context.Context, cfg FleetConfig) (*Fleet, ConnectStats, error) {
	if err := cfg.ensureDefaults(); err != nil {
		return nil, ConnectStats{}, err
	}
	f := &Fleet{cfg: cfg}
	for r, room := range cfg.Rooms {
		u, err := cfg.Target.RoomURL(cfg.Class, room)
		if err != nil {
			return nil, ConnectStats{}, err
		}
		for i := range cfg.PerRoom {
			f.members = append(f.members, &Member{ID: len(f.members), Room: r, Index: i, url: u, fleet: f})
		}
	}
	f.ctx, f.cancel = context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, f.cancel)
	defer stop()

	dialer := newDialer(cfg.Client)
	sem := make(chan struct{}, cfg.DialConcurrency)
	var dialed sync.WaitGroup
	var ok, failed atomic.Int64
	start := time.Now()
	for _, m := range f.members {
		dialed.Add(1)
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			sem <- struct{}{}
			c, err := f.dial(dialer, m)
			<-sem
			if err != nil {
				failed.Add(1)
			} else {
				ok.Add(1)
				m.client.Store(c) // connected as soon as StartFleet returns
			}
			dialed.Done()
			f.run(dialer, m, c)
		}()
	}
	dialed.Wait()
	elapsed := time.Since(start)
	st := ConnectStats{
		Attempted:   len(f.members),
		Established: int(ok.Load()),
		Failed:      int(failed.Load()),
		ElapsedSec:  elapsed.Seconds(),
		PerSec:      float64(ok.Load()) / max(elapsed.Seconds(), 1e-9),
	}
	if e := f.firstErr.Load(); e != nil {
		st.FirstError = *e
	}
	return f, st, nil
}

// Members returns the fleet's members, ordered by ID.
func (f *Fleet) Members() []*Member { return f.members }

// Snapshot returns the fleet's counters with the members' received frames.
func (f *Fleet) Snapshot() CounterSnapshot {
	s := f.cfg.Counters.Snapshot()
	for _, m := range f.members {
		s.Delivered += m.delivered.Load()
		s.SelfFrames += m.self.Load()
	}
	return s
}

// Frames returns how many harness frames members have received so far.
func (f *Fleet) Frames() uint64 {
	var n uint64
	for _, m := range f.members {
		n += m.delivered.Load() + m.self.Load()
	}
	return n
}

// RoomDeliveries returns how many deliveries members of room r received.
func (f *Fleet) RoomDeliveries(r int) uint64 {
	var n uint64
	for _, m := range f.members[r*f.cfg.PerRoom : (r+1)*f.cfg.PerRoom] {
		n += m.delivered.Load()
	}
	return n
}

// Connected returns how many members have a live connection.
func (f *Fleet) Connected() int {
	n := 0
	for _, m := range f.members {
		if m.Connected() {
			n++
		}
	}
	return n
}

// Close ends every connection with a normal close frame and waits for all
// member goroutines to exit. Calling it again does nothing more.
func (f *Fleet) Close() {
	f.closing.Store(true)
	f.cancel()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, m := range f.members {
		if c := m.client.Load(); c != nil {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				_ = c.Close()
			}()
		}
	}
	wg.Wait()
	f.wg.Wait()
}

func (f *Fleet) dial(d *websocket.Dialer, m *Member) (*Client, error) {
	c, err := Dial(f.ctx, d, m.url, f.cfg.Client)
	if err != nil {
		if f.ctx.Err() == nil {
			f.cfg.Counters.Error(ErrKindDial)
			f.errOnce.Do(func() {
				msg := err.Error()
				f.firstErr.Store(&msg)
				f.cfg.Logger.Warn("bench: dial failed", "url", m.url, "err", err)
			})
		}
		return nil, err
	}
	return c, nil
}

// run owns member m's connection: it reads until the connection ends and,
// with Reconnect, dials again until the fleet closes.
func (f *Fleet) run(d *websocket.Dialer, m *Member, c *Client) {
	backoff := 50 * time.Millisecond
	reconnect := false
	for {
		if c == nil {
			if !f.cfg.Reconnect || !sleepCtx(f.ctx, jitter(backoff)) {
				return
			}
			backoff = min(2*backoff, time.Second)
			if c, _ = f.dial(d, m); c == nil {
				continue
			}
			f.cfg.Counters.Reconnects.Add(1)
		}
		m.client.Store(c)
		if f.closing.Load() {
			_ = c.Abort()
		}
		if f.cfg.OnConnect != nil {
			f.cfg.OnConnect(m, reconnect)
		}
		err := f.read(m, c)
		m.client.CompareAndSwap(c, nil)
		_ = c.Abort()
		if f.closing.Load() {
			return
		}
		f.cfg.Counters.Disconnect(closeCode(err))
		c, reconnect, backoff = nil, true, 50*time.Millisecond
	}
}

// read decodes frames until the connection fails.
func (f *Fleet) read(m *Member, c *Client) error {
	for {
		b, err := c.Read()
		if err != nil {
			return err
		}
		at := time.Now()
		out, err := f.cfg.Target.Decode(b, m.scratch[:0])
		m.scratch = out
		if err != nil {
			f.cfg.Counters.Error(ErrKindDecode)
			continue
		}
		for _, d := range out {
			own := d.Payload.Tag == uint32(m.ID)
			switch {
			case f.cfg.Class == ClassEcho && !own:
				continue // a plain relay's echo room shared with others
			case f.cfg.Class == ClassEcho || !own:
				m.delivered.Add(1)
			default:
				m.self.Add(1)
			}
			if f.cfg.OnFrame != nil {
				f.cfg.OnFrame(m, d, at)
			}
		}
	}
}

func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// sleepCtx sleeps for d and reports whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
