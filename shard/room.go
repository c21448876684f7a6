package shard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// retireRecheck is how often a room without gateway streams checks again
// whether it can stop (an attach may have been announced but abandoned).
const retireRecheck = time.Second

// room is one active room: an actor. Its goroutine (run) owns every field
// below the "actor-owned" line; other goroutines reach it only through
// inbox. The hibernatable part is obj: the runtime keeps reg, the
// auto-response and the State while obj is evicted.
type room struct {
	h     *Host
	id    string
	ns    string
	name  string
	class Class
	log   *slog.Logger
	inbox chan func()
	stop  chan struct{} // closed by signalStop
	done  chan struct{} // closed when run returns

	stopOnce   sync.Once
	stopReason string // written before stop is closed

	// pending counts attaches queued but not yet run; protected by h.mu.
	pending int

	// Read by admin without asking the actor.
	nSockets   atomic.Int64
	nGateways  atomic.Int32
	hibernated atomic.Bool
	leaseEpoch atomic.Uint64 // the lease the room commits under, 0 for none

	// actor-owned
	reg     *registry
	state   *State
	storage *Storage
	store   durable // lease, the running event's writes, the runtime's record
	obj     Room    // nil before the first event and after eviction
	cur     *event  // the running event, nil between events
	// spareOutbox is the last event's emptied outbox (see release)
	spareOutbox []linkFrames
	autoReq     string
	autoResp    string
	idle        *time.Timer // hibernation: fires after HibernateAfter without events
	recheck     *time.Timer
	// alarm fires the room's alarm at alarmAt; nil while none is armed. A
	// commit that sets the alarm arms it; the host's alarm scan wakes rooms
	// whose alarm this timer does not cover (alarm.go).
	alarm       *time.Timer
	alarmAt     time.Time
	alarmQueued atomic.Bool // a wake from the host's alarm scan is in the inbox
	lastSockets int64       // what the sockets gauge holds for this room
	activateErr error
	stopped     bool // set when stopping: late attaches get RoomMoving
}

func newRoom(h *Host, id, ns, name string, class Class) *room {
	r := &room{
		h: h, id: id, ns: ns, name: name, class: class,
		log:   h.cfg.Logger.With("room", id, "namespace", ns),
		inbox: make(chan func(), h.cfg.InboxSize),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		reg:   newRegistry(),
	}
	r.state = &State{r: r}
	r.storage = &Storage{r: r}
	r.hibernated.Store(true)
	return r
}

// run is the room's goroutine.
func (r *room) run() {
	defer close(r.done)
	r.idle = time.NewTimer(time.Hour)
	r.idle.Stop()
	r.recheck = time.NewTimer(retireRecheck)
	defer r.idle.Stop()
	defer r.recheck.Stop()
	defer r.disarmAlarm()
	if err := r.activate(); err != nil {
		// attach refuses every stream; the room retires once none is pending.
		r.log.Error("activating room", "err", err)
		r.activateErr = err
	}
	for {
		if r.stopSignaled() {
			r.finish()
			return
		}
		select {
		case fn := <-r.inbox:
			fn()
		case <-r.idle.C:
			r.hibernate()
		case <-r.alarmC():
			r.alarm = nil
			r.checkAlarm()
		case <-r.recheck.C:
		case <-r.stop:
			r.finish()
			return
		}
		r.publishStats()
		if len(r.reg.links) == 0 {
			if !r.alarmSoon() && r.h.retire(r) {
				r.releaseLease()
				return
			}
			r.recheck.Reset(retireRecheck)
		}
	}
}

// drainAttaches answers the attaches announced before the room left the
// host's map, so no gateway stream waits for a RoomOpened that never comes.
func (r *room) drainAttaches() {
	for {
		r.h.mu.Lock()
		n := r.pending
		r.h.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case fn := <-r.inbox:
			fn()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// alarmC is the alarm timer's channel, nil (never ready) without an alarm.
func (r *room) alarmC() <-chan time.Time {
	if r.alarm == nil {
		return nil
	}
	return r.alarm.C
}

// activate prepares the room before its first event. Storage needs
// nothing here: the lease is taken at the room's first storage access
// (durable.go) and due alarms are found by the host's alarm scan.
func (r *room) activate() error { return nil }

// signalStop asks the room to stop and hand its sockets back to the
// gateways (RoomMoving). Safe to call from any goroutine, more than once.
func (r *room) signalStop(reason string) {
	r.stopOnce.Do(func() {
		r.stopReason = reason
		close(r.stop)
	})
}

// enqueue hands fn to the room's goroutine, waiting while the inbox is full.
func (r *room) enqueue(ctx context.Context, fn func()) error {
	select {
	case r.inbox <- fn:
		return nil
	case <-r.done:
		return ErrRoomStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

// tryEnqueue hands fn to the room's goroutine if its inbox has room.
func (r *room) tryEnqueue(fn func()) (bool, error) {
	select {
	case r.inbox <- fn:
		return true, nil
	case <-r.done:
		return false, ErrRoomStopped
	default:
		return false, nil
	}
}

// ask runs fn on the room's goroutine and waits until it has run.
func (r *room) ask(ctx context.Context, fn func()) error {
	ran := make(chan struct{})
	if err := r.enqueue(ctx, func() { fn(); close(ran) }); err != nil {
		return err
	}
	select {
	case <-ran:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-r.done:
		select {
		case <-ran:
			return nil
		default:
			return ErrRoomStopped
		}
	}
}

// dispatch runs one event: fn with the room object, then finish (runtime
// bookkeeping that may still send), commit, and release of the outbox.
func (r *room) dispatch(kind string, s *socket, fn func(context.Context, Room) error, finish func()) {
	if r.stopSignaled() {
		return // handing over: see stopSignaled
	}
	ev := &event{kind: kind, ctx: r.h.ctx, sock: s, started: time.Now(), outbox: r.spareOutbox}
	r.spareOutbox = nil
	r.cur = ev
	err := r.invoke(ev, fn)
	if err != nil {
		r.fail(ev, err)
	}
	if finish != nil {
		finish()
	}
	cerr := r.commit(ev)
	if cerr != nil {
		r.commitFailed(ev, cerr)
	}
	r.release(ev)
	r.cur = nil
	r.h.cfg.Metrics.observeEvent(kind, err == nil && cerr == nil, time.Since(ev.started))
	if r.class.Hibernatable && r.h.cfg.HibernateAfter > 0 {
		r.idle.Reset(r.h.cfg.HibernateAfter)
	}
}

// invoke calls fn, building the room object first if needed, and turns a
// panic into an error.
func (r *room) invoke(ev *event, fn func(context.Context, Room) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrPanic, p)
			r.log.Error("room code panicked", "event", ev.kind, "socket", socketID(ev.sock), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	if r.obj == nil {
		obj := r.class.New(r.state)
		if obj == nil {
			return fmt.Errorf("shard: class %q constructor returned nil", r.class.Name)
		}
		r.obj = obj
	}
	return fn(ev.ctx, r.obj)
}

// fail closes the event's socket: with the code of a *CloseError, else 1011.
func (r *room) fail(ev *event, err error) {
	if r.lostLease(err) {
		ev.dropDeliveries()
		return
	}
	var ce *CloseError
	if errors.As(err, &ce) && checkClose(ce.Code, ce.Reason) == nil {
		if ev.sock != nil {
			r.closeSocket(ev.sock, ce.Code, ce.Reason)
		}
		return
	}
	if !errors.Is(err, ErrPanic) {
		r.log.Error("room handler failed", "event", ev.kind, "socket", socketID(ev.sock), "err", err)
	}
	if ev.sock != nil {
		r.closeSocket(ev.sock, CloseInternalError, closeReasonRoomFail)
	}
}

func socketID(s *socket) string {
	if s == nil {
		return ""
	}
	return s.id
}

// closeSocket takes s out of the room and tells its gateway to close it.
func (r *room) closeSocket(s *socket, code int, reason string) {
	switch s.state {
	case sockClosed:
		return
	case sockOpen:
		r.reg.remove(s)
	}
	s.state = sockClosed
	r.emit(s.link, closeFrame(s.id, code, reason))
}

// hibernate evicts the room object; the registry stays.
func (r *room) hibernate() {
	if r.obj == nil || !r.class.Hibernatable {
		return
	}
	r.obj = nil
	r.log.Debug("room hibernated", "sockets", r.reg.len())
}

// moveAway ends every gateway stream with RoomMoving: the sockets stay open
// at their gateways, which re-open the room where their ring says.
func (r *room) moveAway(reason string) {
	for _, l := range r.reg.links {
		l.gone = true
		l.out.Send(movingFrame(reason))
		l.out.Close(nil)
	}
	r.reg = newRegistry()
	r.obj = nil
}

// publishStats updates what admin and metrics read without the actor.
func (r *room) publishStats() {
	n := int64(r.reg.len())
	r.nSockets.Store(n)
	r.nGateways.Store(int32(len(r.reg.links)))
	r.hibernated.Store(r.obj == nil)
	if n != r.lastSockets {
		r.h.cfg.Metrics.addSockets(n - r.lastSockets)
		r.lastSockets = n
	}
}
