package shard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/roomshard/roomshard/cluster/roomid"
)

// alarmScanLimit bounds one scan. Due alarms are deleted when they run, so
// a backlog this large means something else is wrong.
const alarmScanLimit = 10000

// errNoRecord reports a due alarm whose room has no runtime record.
var errNoRecord = errors.New("shard: alarm of a room without a runtime record")

// alarmScan finds the alarms due soon among the rooms this host's ring
// gives it, and wakes each room at its alarm's time, active or not (a room
// without sockets is activated, runs its alarm and retires again). Every
// AlarmScanInterval it reads the alarms due within two intervals, so a
// timer per upcoming alarm fires it on time; later alarms are found by
// later scans. Its goroutine is started by NewHost and stopped by Close.
type alarmScan struct {
	h      *Host
	cancel context.CancelFunc
	done   chan struct{}

	// owned by the goroutine
	upcoming map[string]time.Time // room -> alarm time, for alarms not yet due
	skipped  map[string]bool      // rooms whose alarm cannot run here
	next     *time.Timer
	warned   time.Time // when a failed scan was last logged
}

// scanWarnEvery spaces out the warnings of a store that keeps failing.
const scanWarnEvery = 10 * time.Second

func startAlarmScan(h *Host) *alarmScan {
	ctx, cancel := context.WithCancel(context.Background())
	s := &alarmScan{
		h: h, cancel: cancel, done: make(chan struct{}),
		upcoming: map[string]time.Time{}, skipped: map[string]bool{},
	}
	go s.run(ctx)
	return s
}

// stop ends the scan and waits for its goroutine. Idempotent.
func (s *alarmScan) stop() {
	s.cancel()
	<-s.done
}

func (s *alarmScan) run(ctx context.Context) {
	defer close(s.done)
	tick := time.NewTicker(s.h.cfg.AlarmScanInterval)
	defer tick.Stop()
	s.next = time.NewTimer(time.Hour)
	s.next.Stop()
	defer s.next.Stop()
	s.scan(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.scan(ctx)
		case <-s.next.C:
			s.fireDue(ctx)
		}
	}
}

// scan reads the alarms due within two intervals, wakes the rooms whose
// alarm is due and times the others.
func (s *alarmScan) scan(ctx context.Context) {
	h := s.h
	now := time.Now()
	rctx, cancel := context.WithTimeout(ctx, h.cfg.CommitTimeout)
	alarms, err := h.cfg.Storage.DueAlarms(rctx, now.Add(2*h.cfg.AlarmScanInterval), alarmScanLimit)
	cancel()
	if err != nil {
		if ctx.Err() == nil && time.Since(s.warned) >= scanWarnEvery {
			s.warned = time.Now()
			h.cfg.Logger.Warn("scanning for due alarms", "err", err)
		}
		return
	}
	clear(s.upcoming)
	for _, a := range alarms {
		if !h.owns(a.Room) {
			continue
		}
		if a.At.After(now) {
			s.upcoming[a.Room] = a.At
			continue
		}
		s.wake(ctx, a.Room)
	}
	s.timeNext()
}

// fireDue wakes the rooms whose upcoming alarm is now due.
func (s *alarmScan) fireDue(ctx context.Context) {
	now := time.Now()
	for id, at := range s.upcoming {
		if !at.After(now) {
			delete(s.upcoming, id)
			s.wake(ctx, id)
		}
	}
	s.timeNext()
}

// timeNext sets the timer for the earliest upcoming alarm.
func (s *alarmScan) timeNext() {
	s.next.Stop()
	var first time.Time
	for _, at := range s.upcoming {
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	if !first.IsZero() {
		s.next.Reset(time.Until(first))
	}
}

// wake makes room id check its alarm, activating it if needed.
func (s *alarmScan) wake(ctx context.Context, id string) {
	h := s.h
	if r := h.room(id); r != nil {
		r.wakeForAlarm(false)
		return
	}
	if s.skipped[id] {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, h.cfg.CommitTimeout)
	ref, err := h.alarmRoom(rctx, id)
	cancel()
	if err != nil {
		if errors.Is(err, errNoRecord) || errors.Is(err, ErrUnknownNamespace) {
			if len(s.skipped) >= alarmScanLimit {
				clear(s.skipped)
			}
			s.skipped[id] = true
			h.cfg.Logger.Error("alarm cannot run on this shard", "room", id, "err", err)
		} else if ctx.Err() == nil {
			h.cfg.Logger.Warn("reading the record of a room with a due alarm", "room", id, "err", err)
		}
		return
	}
	r, err := h.hold(ref)
	if err != nil {
		return // closed
	}
	if !r.wakeForAlarm(true) {
		h.unhold(r)
	}
}

// owns reports whether this host's ring gives it room id and it is not
// draining (a draining shard hands rooms off and takes none).
func (h *Host) owns(id string) bool {
	if h.draining.Load() {
		return false
	}
	owner, ok := h.cfg.Ring().Owner(id)
	return ok && owner.Name == h.cfg.Node
}

// alarmRoom resolves a room that is not active from its runtime record.
func (h *Host) alarmRoom(ctx context.Context, id string) (resolved, error) {
	raw, found, err := h.cfg.Storage.Get(ctx, id, metaKey)
	if err != nil {
		return resolved{}, err
	}
	if !found {
		return resolved{}, errNoRecord
	}
	m, err := decodeMeta(raw)
	if err != nil {
		return resolved{}, fmt.Errorf("%w: %w", errNoRecord, err)
	}
	class, ok := h.classes[m.Namespace]
	if !ok {
		return resolved{}, fmt.Errorf("%w: %q", ErrUnknownNamespace, m.Namespace)
	}
	name := m.Name
	if name != "" && roomid.FromName(m.Namespace, name) != id {
		name = "" // not the room's name: run it as a room addressed by id
	}
	return resolved{id: id, ns: m.Namespace, name: name, class: class}, nil
}

// wakeForAlarm queues checkAlarm on the room without waiting: a full queue
// means a busy room, and the next scan tries again. held says the caller
// counted a pending wake (Host.hold) that the queued check releases. It
// reports whether the check was queued (or one already is).
func (r *room) wakeForAlarm(held bool) bool {
	if !held && !r.alarmQueued.CompareAndSwap(false, true) {
		return true
	}
	fn := func() {
		if held {
			r.h.unhold(r)
		} else {
			r.alarmQueued.Store(false)
		}
		r.checkAlarm()
	}
	if queued, _ := r.tryEnqueue(fn); queued {
		return true
	}
	// Full (a busy room; the next scan tries again) or ended (gone from
	// the host; the next scan activates it anew).
	if !held {
		r.alarmQueued.Store(false)
	}
	return false
}
