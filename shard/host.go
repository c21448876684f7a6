package shard

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/ring"
	"github.com/roomshard/roomshard/cluster/roomid"
	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/memory"
)

// HostConfig configures a Host. Zero fields take the defaults documented
// on each.
type HostConfig struct {
	// Node is this shard's cluster name, as it appears on the ring. Required.
	Node string
	// Namespaces binds each namespace to its class (see Bind). Required.
	Namespaces map[string]Class
	// Ring returns the shard's current view of the ring; a room is accepted
	// only while it names Node as the owner. Required.
	Ring func() *ring.Ring
	// SetState gossips this node's state; Drain uses it. Default: none.
	SetState func(ctx context.Context, state roomshardv1.MemberState) error
	// HibernateAfter is the idle time after which a hibernatable room's
	// object is evicted while its sockets stay. Default 10s; negative never.
	HibernateAfter time.Duration
	// InboxSize bounds each room's queue of pending events; a full queue
	// makes gateway streams wait (gRPC flow control; Conn.TryHandle
	// reports it instead). Default 64. The queue's array grows with what
	// is queued and is dropped whenever the room is idle, so the bound
	// costs nothing while a room sleeps; a gateway stream queues one
	// event per batch of frames, not per frame.
	InboxSize int
	// Logger receives room errors. Default slog.Default().
	Logger *slog.Logger
	// Metrics receives runtime metrics. Default: none.
	Metrics *Metrics

	// Storage is where rooms keep their data and alarms (SPEC §6). Default:
	// an in-memory store of the host's own, closed by Close. A store given
	// here is the caller's to close, after Close.
	Storage storage.Backend
	// CommitTimeout bounds one commit, and taking a room's lease; past it
	// the outcome is unknown and the event fails. Default 10s.
	CommitTimeout time.Duration
	// HandOffWait bounds how long a room taking its storage lease waits for
	// the previous holder to release it, while that holder is still a live
	// member (a move whose old owner has not yet seen the new ring, or a
	// draining shard finishing the room's last event). Past it the lease is
	// taken anyway, which fences the old holder. Default 2s; negative never
	// waits.
	HandOffWait time.Duration
	// Alive reports whether the named shard is a live member of the cluster
	// (active or draining). Default: whether the ring has it.
	Alive func(name string) bool
	// AlarmScanInterval is how often the host looks for due alarms of the
	// rooms its ring gives it. Default 100ms.
	AlarmScanInterval time.Duration
	// AlarmRetryBase is how long after a failed alarm handler it runs
	// again; each further retry waits twice as long. Default 2s (SPEC §6).
	AlarmRetryBase time.Duration
	// AlarmRetries is how many times a failing alarm handler is retried
	// before the alarm is dropped. Default 6.
	AlarmRetries int
}

func (c *HostConfig) ensureDefaults() {
	if c.HibernateAfter == 0 {
		c.HibernateAfter = 10 * time.Second
	}
	if c.InboxSize <= 0 {
		c.InboxSize = 64
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.CommitTimeout <= 0 {
		c.CommitTimeout = 10 * time.Second
	}
	if c.HandOffWait == 0 {
		c.HandOffWait = 2 * time.Second
	}
	if c.Alive == nil {
		ringOf := c.Ring
		c.Alive = func(name string) bool { return ringOf().Has(name) }
	}
	if c.AlarmScanInterval <= 0 {
		c.AlarmScanInterval = 100 * time.Millisecond
	}
	if c.AlarmRetryBase <= 0 {
		c.AlarmRetryBase = 2 * time.Second
	}
	if c.AlarmRetries <= 0 {
		c.AlarmRetries = 6
	}
}

// Host runs the active rooms of one shard node. It is safe for concurrent use.
type Host struct {
	cfg      HostConfig
	ctx      context.Context // handlers' context; cancelled by Close
	cancel   context.CancelFunc
	draining atomic.Bool
	wg       sync.WaitGroup // room goroutines (room.start)

	drained     chan struct{} // closed once draining with no room (Drained)
	drainedOnce sync.Once
	ownStore    bool // cfg.Storage is the default the host made: Close closes it
	scan        *alarmScan
	// classes is cfg.Namespaces by pointer: each room points at its class
	// instead of carrying a copy.
	classes map[string]*Class

	// protects rooms, closed and every room's pending
	mu     sync.Mutex
	rooms  map[string]*room
	closed bool
}

// NewHost returns a Host with no rooms.
func NewHost(cfg HostConfig) (*Host, error) {
	cfg.ensureDefaults()
	if cfg.Node == "" || cfg.Ring == nil || len(cfg.Namespaces) == 0 {
		return nil, fmt.Errorf("%w: host needs a node name, a ring and namespaces", ErrBadBinding)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Host{cfg: cfg, ctx: ctx, cancel: cancel, rooms: map[string]*room{}, drained: make(chan struct{})}
	h.classes = make(map[string]*Class, len(cfg.Namespaces))
	for ns, c := range cfg.Namespaces {
		h.classes[ns] = &c
	}
	if h.cfg.Storage == nil {
		h.cfg.Storage, h.ownStore = memory.New(), true
	}
	h.scan = startAlarmScan(h)
	return h, nil
}

// Node is the shard's name.
func (h *Host) Node() string { return h.cfg.Node }

// RoomCount is how many rooms the host holds.
func (h *Host) RoomCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.rooms)
}

// resolved is a checked room reference.
type resolved struct {
	id, ns, name string
	class        *Class
}

// resolve checks a room reference: a bound namespace and a valid name
// (whose id, if given too, must match) or a valid id.
func (h *Host) resolve(ref *roomshardv1.RoomRef) (resolved, error) {
	ns := ref.GetNamespace()
	class, ok := h.classes[ns]
	if !ok {
		return resolved{}, fmt.Errorf("%w: %q", ErrUnknownNamespace, ns)
	}
	id, name := ref.GetId(), ref.GetName()
	if name != "" {
		if err := roomid.CheckName(name); err != nil {
			return resolved{}, fmt.Errorf("%w: %w", ErrBadRoom, err)
		}
		want := roomid.FromName(ns, name)
		if id != "" && id != want {
			return resolved{}, fmt.Errorf("%w: id %q is not room %q of namespace %q", ErrBadRoom, id, name, ns)
		}
		id = want
	} else if err := roomid.CheckID(id); err != nil {
		return resolved{}, fmt.Errorf("%w: %w", ErrBadRoom, err)
	}
	return resolved{id: id, ns: ns, name: name, class: class}, nil
}

// redirect returns nil when this shard's ring gives id to this shard, else
// the owner the ring names (empty when the ring is empty).
func (h *Host) redirect(id string) *roomshardv1.Redirect {
	rg := h.cfg.Ring()
	owner, ok := rg.Owner(id)
	draining := h.draining.Load()
	if ok && owner.Name == h.cfg.Node && !draining {
		return nil
	}
	rd := &roomshardv1.Redirect{Owner: owner.Name, OwnerGrpcAddr: owner.Addr, RingVersion: rg.Version()}
	switch {
	case ok && owner.Name == h.cfg.Node:
		// Draining before our own ring dropped us: name no owner, so the
		// gateway backs off and asks its ring again.
		rd = &roomshardv1.Redirect{RingVersion: rg.Version(), Reason: "shard is draining"}
	case ok:
		rd.Reason = fmt.Sprintf("room is owned by %s", owner.Name)
	default:
		rd.Reason = "no active shard on the ring"
	}
	h.cfg.Metrics.redirected()
	return rd
}

// Open attaches a gateway stream to a room, activating the room if needed.
// out receives the room's frames for that gateway, starting with
// RoomOpened. It returns a Redirect instead when this shard's ring gives
// the room to another shard. Errors wrap ErrUnknownNamespace, ErrBadRoom,
// ErrBadFrame or ErrClosed.
func (h *Host) Open(ctx context.Context, open *roomshardv1.OpenRoom, out Outbound) (*Conn, *roomshardv1.Redirect, error) {
	if open.GetGateway() == "" {
		return nil, nil, fmt.Errorf("%w: OpenRoom names no gateway", ErrBadFrame)
	}
	ref, err := h.resolve(open.GetRoom())
	if err != nil {
		return nil, nil, err
	}
	for _, s := range open.GetSockets() {
		if err := checkAnnouncedSocket(s); err != nil {
			return nil, nil, err
		}
	}
	if rd := h.redirect(ref.id); rd != nil {
		return nil, rd, nil
	}
	r, err := h.hold(ref)
	if err != nil {
		return nil, nil, err
	}
	l := newLink(open.GetGateway(), out)
	if err := r.enqueue(ctx, func() { r.attach(l, open) }); err != nil {
		h.unhold(r)
		return nil, nil, err
	}
	h.cfg.Metrics.streamOpened()
	return &Conn{r: r, l: l}, nil, nil
}

// CountConnections returns a room's socket count across every gateway (0
// when this shard holds no such room), or a Redirect when this shard does
// not own it.
func (h *Host) CountConnections(ref *roomshardv1.RoomRef) (int64, *roomshardv1.Redirect, error) {
	res, err := h.resolve(ref)
	if err != nil {
		return 0, nil, err
	}
	if rd := h.redirect(res.id); rd != nil {
		return 0, rd, nil
	}
	if r := h.room(res.id); r != nil {
		return r.nSockets.Load(), nil, nil
	}
	return 0, nil, nil
}

// hold returns the room ref names, making it if needed, with one more
// pending attach or wake counted (so the room cannot retire before it
// runs). A new room has no goroutine yet: the attach or wake the caller
// queues next starts one.
func (h *Host) hold(ref resolved) (*room, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	r := h.rooms[ref.id]
	if r == nil {
		r = newRoom(h, ref.id, ref.ns, ref.name, ref.class)
		h.rooms[ref.id] = r
		h.cfg.Metrics.addRooms(1)
	}
	r.pending++
	return r, nil
}

// unhold undoes hold for a wake or attach that never reached the room,
// and has the room check whether it can retire now. (Its runner may have
// declined to retire while the hold was counted; so far that runner is
// still busy whenever an enqueue fails, but a room left idle with no
// stream would never retire, so the check does not rely on it.)
func (h *Host) unhold(r *room) {
	h.mu.Lock()
	r.pending--
	h.mu.Unlock()
	r.poke(wakeRetire)
}

func (h *Host) room(id string) *room {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[id]
}

// retire removes a room without streams, unless an attach is on its way.
// Called by the room's goroutine, which exits when it returns true.
func (h *Host) retire(r *room) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.pending > 0 {
		return false
	}
	if h.rooms[r.id] == r {
		delete(h.rooms, r.id)
		h.cfg.Metrics.addRooms(-1)
		h.noteEmpty()
	}
	return true
}

// forget removes a stopped room.
func (h *Host) forget(r *room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rooms[r.id] == r {
		delete(h.rooms, r.id)
		h.cfg.Metrics.addRooms(-1)
		h.noteEmpty()
	}
}

// Close stops every room: each gateway stream gets RoomMoving and ends, so
// gateways re-open the rooms elsewhere; no close handlers run. New streams
// are refused and alarms no longer scanned. It waits for the rooms'
// goroutines until ctx ends, then cancels the handlers' context (and closes
// the host's own default store). A room that is idle (no goroutine) gets
// one to stop it: signalStop starts it before Close waits.
func (h *Host) Close(ctx context.Context) error {
	h.scan.stop()
	h.mu.Lock()
	h.closed = true
	rooms := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	h.mu.Unlock()
	for _, r := range rooms {
		r.signalStop("shard shutting down")
	}
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	defer h.cancel() // unblocks handlers still waiting on their context
	select {
	case <-done:
		if h.ownStore {
			return h.cfg.Storage.Close()
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("shard: stopping rooms: %w", ctx.Err())
	}
}
