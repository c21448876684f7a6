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

	"github.com/roomshard/roomshard/shard/storage"
)

// room is one room this host holds: an actor. At most one goroutine runs
// it at a time (run), started when the room has something to do and gone
// again when it has not, so an idle room costs its struct, its registry
// and its object (none once hibernated) but no goroutine, stack or
// channel. Events reach the runner through the room's queue (mu); timers
// post wakes there too. The fields below the "actor-owned" line belong to
// whichever goroutine runs the room: one runner hands them to the next
// through mu (the next runner starts only after the last one gave up
// running under mu). The hibernatable part is obj: the runtime keeps reg,
// the auto-response and the State while obj is evicted.
type room struct {
	h     *Host
	id    string
	ns    string
	name  string
	class *Class
	lg    *slog.Logger // made on first use (logger), dropped when the room hibernates

	// The fields are grouped so that small ones share words: a hibernated
	// room is little more than this struct, and its size class is 512 bytes
	// where a loose layout takes 576.

	// mu protects the queue and the run state below. Lock order: h.mu
	// before mu; no room code runs with mu held.
	mu sync.Mutex
	// queue holds the events not yet run, oldest at head. Its array is
	// made by the first event after the room went idle and dropped when
	// the runner leaves, so an idle room keeps none.
	queue []func()
	head  int32
	wakes wakeBits // posted by timers and unhold; they take no queue slot
	// running says a goroutine runs the room (it was started by start and
	// has not yet found the room idle in next).
	running bool
	// ended says the room left the host for good (retired or stopped):
	// nothing more is queued and no runner starts.
	ended bool
	space chan struct{} // closed when the queue shrinks; made by an enqueue waiting on a full queue
	stopC chan struct{} // closed by signalStop; made on demand (stopChan)
	doneC chan struct{} // closed when the room ends; made on demand (doneChan)

	stopReq     atomic.Bool // signalStop was called; stopReason is set before it
	alarmQueued atomic.Bool // a wake from the host's alarm scan is queued
	stopReason  string

	// pending counts attaches queued but not yet run; protected by h.mu.
	pending int

	// Read by admin without asking the actor.
	nSockets   atomic.Int64
	nGateways  atomic.Int32
	hibernated atomic.Bool
	leaseEpoch atomic.Uint64 // the lease the room commits under, 0 for none

	// actor-owned
	activated bool // activate ran
	stopped   bool // set when stopping: late attaches get RoomMoving
	reg       *registry
	state     State
	storage   Storage
	store     durable // lease, the running event's writes, the runtime's record
	obj       Room    // nil before the first event and after eviction
	cur       *event  // the running event, nil between events
	// spareOutbox is the last event's emptied outbox (see release)
	spareOutbox []linkFrames
	autoReq     string
	autoResp    string
	// idle posts wakeIdle HibernateAfter after it was armed; nil when not
	// armed (it is dropped once it fired, so a hibernated room keeps none).
	// It is armed by the first event after it fired, not reset by each:
	// when it fires, the room hibernates if no event ran for HibernateAfter
	// (lastEvent), else re-arms it for the rest.
	idle *time.Timer
	// lastEvent is when the last event finished, as monoNow; valid while
	// idle is armed. (A time.Time would take 24 bytes.)
	lastEvent time.Duration
	// alarm posts wakeAlarm at alarmAt; nil while none is armed. A commit
	// that sets the alarm arms it; the host's alarm scan wakes rooms whose
	// alarm this timer does not cover (alarm.go).
	alarm       *time.Timer
	alarmAt     time.Time
	lastSockets int64 // what the sockets gauge holds for this room
	activateErr error
}

// monoStart is the origin of monoNow.
var monoStart = time.Now()

// monoNow is the time on the monotonic clock, in a room's 8-byte fields.
func monoNow() time.Duration { return time.Since(monoStart) }

// wakeBits are the wakes a room gets besides queued events: they need no
// queue slot (a timer must not fail or block on a full queue), and posting
// one twice before the runner sees it is the same as once.
type wakeBits uint8

const (
	wakeIdle   wakeBits = 1 << iota // the hibernation timer fired
	wakeAlarm                       // the alarm timer fired
	wakeRetire                      // an attach or wake was abandoned: check whether the room can retire
)

// closedChan stands for a room signal (stopC, doneC) that fired before
// anyone asked to wait for it.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func newRoom(h *Host, id, ns, name string, class *Class) *room {
	r := &room{
		h: h, id: id, ns: ns, name: name, class: class,
		reg: newRegistry(),
	}
	r.state.r = r
	r.storage.r = r
	r.hibernated.Store(true)
	return r
}

// logger is the room's logger (room and namespace attributes). It is made
// on first use and dropped when the room hibernates: most rooms log
// nothing, and a logger with attributes costs some 300 bytes. Called by
// the room's runner (and room code through State.Logger).
func (r *room) logger() *slog.Logger {
	if r.lg == nil {
		r.lg = r.h.cfg.Logger.With("room", r.id, "namespace", r.ns)
	}
	return r.lg
}

// start starts a goroutine to run the room. Called with mu held, when the
// room has work, is not running and has not ended. The goroutine belongs
// to the host: h.wg counts it, so Close waits for it. Close signals every
// room to stop (which starts a runner where none runs) before it waits,
// and a room asked to stop keeps its runner until it ends, so no runner
// starts while Close waits.
func (r *room) start() {
	r.running = true
	r.h.wg.Add(1)
	go func() {
		defer r.h.wg.Done()
		r.run()
	}()
}

// run runs the room until it is idle (the goroutine leaves; the next
// event starts another), retires or stops.
func (r *room) run() {
	if !r.activated {
		r.activated = true
		if err := r.activate(); err != nil {
			// attach refuses every stream; the room retires once none is pending.
			r.logger().Error("activating room", "err", err)
			r.activateErr = err
		}
	}
	for {
		if r.stopSignaled() {
			r.finish()
			return
		}
		fn, wakes, ok := r.next()
		if !ok {
			return
		}
		if wakes&wakeIdle != 0 {
			r.idleFired()
		}
		if wakes&wakeAlarm != 0 && r.alarm != nil {
			r.disarmAlarm() // a timer armed after this one fired goes too: checkAlarm re-arms
			r.checkAlarm()
		}
		if fn != nil {
			fn()
		}
		r.publishStats()
		if len(r.reg.links) == 0 && !r.alarmSoon() && r.h.retire(r) {
			r.releaseLease()
			r.end()
			return
		}
	}
}

// next takes the runner's next work: the posted wakes, else the oldest
// queued event. With neither, the runner gives the room up (ok false) in
// the same critical section, so an enqueue either finds it running or
// starts a new one. The queue's array goes with it.
func (r *room) next() (fn func(), wakes wakeBits, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.wakes != 0 {
		wakes, r.wakes = r.wakes, 0
		return nil, wakes, true
	}
	if fn = r.pop(); fn != nil {
		return fn, 0, true
	}
	if r.stopReq.Load() {
		return nil, 0, true // signalStop raced with the check in run: finish first
	}
	r.running = false
	r.queue, r.head = nil, 0
	return nil, 0, false
}

// pop takes the oldest queued event, nil when none. Called with mu held.
func (r *room) pop() func() {
	if int(r.head) == len(r.queue) {
		return nil
	}
	fn := r.queue[r.head]
	r.queue[r.head] = nil
	r.head++
	if int(r.head) == len(r.queue) {
		r.queue, r.head = r.queue[:0], 0
	}
	if r.space != nil {
		close(r.space) // wake the enqueues waiting for room in the queue
		r.space = nil
	}
	return fn
}

// queued is how many events wait. Called with mu held.
func (r *room) queued() int { return len(r.queue) - int(r.head) }

// push queues fn and makes sure a runner will run it. Called with mu held
// on a room that has not ended.
func (r *room) push(fn func()) {
	if len(r.queue) == cap(r.queue) && r.head > 0 {
		// Slide the waiting events down rather than grow the array: a
		// queue that never empties would otherwise grow without bound.
		n := copy(r.queue, r.queue[r.head:])
		clear(r.queue[n:])
		r.queue, r.head = r.queue[:n], 0
	}
	r.queue = append(r.queue, fn)
	if !r.running {
		r.start()
	}
}

// poke posts wakes and makes sure a runner will see them. Safe from any
// goroutine (timers call it); a room that ended ignores it.
func (r *room) poke(w wakeBits) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	r.wakes |= w
	if !r.running {
		r.start()
	}
}

// wakeFromTimer posts w from a timer's own goroutine (time.AfterFunc)
// and, when no goroutine runs the room, runs it right there rather than
// starting another: rooms whose timers fire together (all rooms opened
// in one burst hibernate in one burst) then need one goroutine each, not
// two. Like start, it counts itself in h.wg.
func (r *room) wakeFromTimer(w wakeBits) {
	r.mu.Lock()
	if r.ended || r.running {
		if !r.ended {
			r.wakes |= w
		}
		r.mu.Unlock()
		return
	}
	r.wakes |= w
	r.running = true
	r.h.wg.Add(1)
	r.mu.Unlock()
	defer r.h.wg.Done()
	r.run()
}

// end marks the room gone for good once its runner retired or stopped
// it: timers are stopped, events still queued are dropped (their senders
// get ErrRoomStopped, as from a shard that went away) and the runner
// leaves. Called by the runner.
func (r *room) end() {
	r.disarmAlarm()
	if r.idle != nil {
		r.idle.Stop()
		r.idle = nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended, r.running = true, false
	clear(r.queue)
	r.queue, r.head, r.wakes = nil, 0, 0
	if r.doneC != nil {
		close(r.doneC)
	}
	if r.space != nil {
		close(r.space)
		r.space = nil
	}
}

// drainAttaches answers the attaches announced before the room left the
// host's map, so no gateway stream waits for a RoomOpened that never
// comes; other events queued before them run too (a stopping room's
// dispatch runs no room code), those after them are dropped by end.
// Called by the runner from finish.
func (r *room) drainAttaches() {
	for {
		r.h.mu.Lock()
		n := r.pending
		r.h.mu.Unlock()
		if n == 0 {
			return
		}
		r.mu.Lock()
		fn := r.pop()
		r.mu.Unlock()
		if fn != nil {
			fn()
			continue
		}
		// An Open between Host.hold and its enqueue: the room is out of
		// the host's map, so no further attach can come.
		time.Sleep(10 * time.Millisecond)
	}
}

// activate prepares the room before its first event. Storage needs
// nothing here: the lease is taken at the room's first storage access
// (durable.go) and due alarms are found by the host's alarm scan.
func (r *room) activate() error { return nil }

// signalStop asks the room to stop and hand its sockets back to the
// gateways (RoomMoving), starting a runner for it if none runs. Safe to
// call from any goroutine, more than once.
func (r *room) signalStop(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopReq.Load() {
		return
	}
	r.stopReason = reason
	r.stopReq.Store(true)
	if r.stopC != nil {
		close(r.stopC)
	}
	if !r.ended && !r.running {
		r.start()
	}
}

// stopChan is closed once signalStop was called. It is made on demand:
// only a room waiting on something (awaitHandOff) needs one.
func (r *room) stopChan() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopReq.Load() {
		return closedChan
	}
	if r.stopC == nil {
		r.stopC = make(chan struct{})
	}
	return r.stopC
}

// doneChan is closed once the room ended. It is made on demand: only a
// caller waiting for a reply (ask) needs one.
func (r *room) doneChan() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return closedChan
	}
	if r.doneC == nil {
		r.doneC = make(chan struct{})
	}
	return r.doneC
}

// enqueue queues fn for the room, waiting while its queue holds
// InboxSize events. It fails with ErrRoomStopped once the room ended, or
// with ctx's error.
func (r *room) enqueue(ctx context.Context, fn func()) error {
	for {
		r.mu.Lock()
		if r.ended {
			r.mu.Unlock()
			return ErrRoomStopped
		}
		if r.queued() < r.h.cfg.InboxSize {
			r.push(fn)
			r.mu.Unlock()
			return nil
		}
		if r.space == nil {
			r.space = make(chan struct{})
		}
		space := r.space
		r.mu.Unlock()
		select {
		case <-space: // the queue shrank or the room ended: look again
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// tryEnqueue queues fn unless the room's queue is full; it never waits.
// It reports whether fn was queued, failing with ErrRoomStopped once the
// room ended.
func (r *room) tryEnqueue(fn func()) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return false, ErrRoomStopped
	}
	if r.queued() >= r.h.cfg.InboxSize {
		return false, nil
	}
	r.push(fn)
	return true, nil
}

// enqueueAlways queues fn even on a full queue, for the one event per
// gateway stream that must not wait (Detach): the queue exceeds
// InboxSize by at most one event per attached stream. It reports whether
// fn was queued (false once the room ended).
func (r *room) enqueueAlways(fn func()) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return false
	}
	r.push(fn)
	return true
}

// ask runs fn on the room's runner and waits until it has run.
func (r *room) ask(ctx context.Context, fn func()) error {
	ran := make(chan struct{})
	if err := r.enqueue(ctx, func() { fn(); close(ran) }); err != nil {
		return err
	}
	done := r.doneChan()
	select {
	case <-ran:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-done:
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
	// Published before the event's frames go out, so a gateway that saw
	// its socket accepted finds it counted (CountConnections, admin).
	r.publishStats()
	r.release(ev)
	r.cur = nil
	r.h.cfg.Metrics.observeEvent(kind, err == nil && cerr == nil, time.Since(ev.started))
	r.armIdle()
}

// armIdle notes that an event ran, for hibernation: the idle timer is
// armed unless it already is (idleFired then finds lastEvent recent and
// re-arms it for the rest), so a busy room touches no timer per event.
func (r *room) armIdle() {
	after := r.h.cfg.HibernateAfter
	if !r.class.Hibernatable || after <= 0 {
		return
	}
	r.lastEvent = monoNow()
	if r.idle == nil {
		r.idle = time.AfterFunc(after, func() { r.wakeFromTimer(wakeIdle) })
	}
}

// idleFired hibernates the room when no event ran for HibernateAfter, and
// else re-arms the timer for the rest of that time.
func (r *room) idleFired() {
	if r.idle == nil {
		return // disarmed after it fired (the room ended)
	}
	if rest := r.h.cfg.HibernateAfter - (monoNow() - r.lastEvent); rest > 0 {
		r.idle.Reset(rest)
		return
	}
	r.idle = nil // fired: the next event arms a new one
	r.hibernate()
}

// invoke calls fn, building the room object first if needed, and turns a
// panic into an error.
func (r *room) invoke(ev *event, fn func(context.Context, Room) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrPanic, p)
			r.logger().Error("room code panicked", "event", ev.kind, "socket", socketID(ev.sock), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	if r.obj == nil {
		obj := r.class.New(&r.state)
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
		r.logger().Error("room handler failed", "event", ev.kind, "socket", socketID(ev.sock), "err", err)
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
	// What the room kept for its next event goes too: the next event
	// makes them again.
	r.spareOutbox = nil
	r.store.batch = storage.Batch{}
	if r.h.cfg.Logger.Enabled(r.h.ctx, slog.LevelDebug) {
		r.logger().Debug("room hibernated", "sockets", r.reg.len())
	}
	r.lg = nil
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
