package shard

import (
	"context"
	"time"

	"github.com/roomshard/roomshard/shard/storage"
)

// A room's alarm (SPEC §6) lives in storage. The room's own timer fires it
// precisely while the room is active; the host's alarm scan (alarmscan.go)
// wakes rooms whose alarm is due and no timer covers: rooms that are not
// active, alarms set by another shard before the room moved, alarms that
// survived a restart. Every wake goes through checkAlarm, which reads the
// stored alarm, so the two paths never run one alarm twice.
//
// Delivery is at least once: the alarm is deleted by the commit of the
// event that ran it, so a crash before that commit runs it again. A failed
// handler is retried after AlarmRetryBase, doubling each time, up to
// AlarmRetries times; the retry time is written as the room's alarm and
// the attempt count into the runtime's record, so retries keep their
// schedule across eviction, moves and restarts.

// keepForAlarm keeps a room without gateway streams active when its alarm
// is due this soon, so its precise timer fires it rather than the next scan.
const keepForAlarm = time.Second

func (r *room) armAlarm(at time.Time) {
	r.disarmAlarm()
	r.alarmAt = at
	// The timer posts a wake rather than owning a channel the room's
	// goroutine selects on: an idle room has no goroutine.
	r.alarm = time.AfterFunc(max(time.Until(at), 0), func() { r.wakeFromTimer(wakeAlarm) })
}

func (r *room) disarmAlarm() {
	if r.alarm != nil {
		r.alarm.Stop()
		r.alarm = nil
	}
}

// alarmSoon reports whether the armed alarm is due within keepForAlarm.
func (r *room) alarmSoon() bool {
	return r.alarm != nil && time.Until(r.alarmAt) < keepForAlarm
}

// alarmCommitted arms or disarms the timer for a committed alarm change.
func (r *room) alarmCommitted(c storage.AlarmChange) {
	switch c.Op {
	case storage.AlarmSet:
		r.armAlarm(c.At)
	case storage.AlarmDelete:
		r.disarmAlarm()
	}
}

// checkAlarm runs the room's alarm if the stored one is due, else arms the
// timer for it.
func (r *room) checkAlarm() {
	if r.stopped || r.activateErr != nil || r.store.fenced {
		return
	}
	if err := r.storageReady(r.h.ctx); err != nil {
		r.logger().Warn("reading the room's alarm", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.h.ctx, r.h.cfg.CommitTimeout)
	at, found, err := r.h.cfg.Storage.GetAlarm(ctx, r.id)
	cancel()
	switch {
	case err != nil:
		r.logger().Warn("reading the room's alarm", "err", err) // the next scan tries again
	case !found:
		r.disarmAlarm()
	case time.Now().Before(at):
		r.armAlarm(at)
	default:
		r.h.cfg.Metrics.observeAlarmLag(time.Since(at))
		r.runAlarm()
	}
}

// runAlarm runs the alarm handler as an event. The alarm is spent once it
// runs (as in Durable Objects, GetAlarm in the handler reads no alarm); the
// handler may set the next one.
func (r *room) runAlarm() {
	failed := true // stays true if the handler panics or the room cannot be built
	r.dispatch(evAlarm, nil, func(ctx context.Context, obj Room) error {
		if !r.store.alarmTouched {
			r.store.batch.DeleteAlarm()
		}
		err := obj.Alarm(ctx)
		failed = err != nil
		return err
	}, func() { r.settleAlarm(failed) })
}

// settleAlarm decides, before the alarm event commits, what becomes of the
// alarm: spent, rescheduled by the handler, or retried after a failure.
func (r *room) settleAlarm(failed bool) {
	d := &r.store
	if d.alarmTouched || !failed {
		r.setAlarmAttempt(0)
		return
	}
	n := d.meta.AlarmAttempt + 1
	if n > r.h.cfg.AlarmRetries {
		r.logger().Error("alarm handler failed too often; alarm dropped", "attempts", n)
		r.setAlarmAttempt(0)
		d.batch.DeleteAlarm()
		return
	}
	delay := r.h.cfg.AlarmRetryBase << (n - 1)
	r.logger().Warn("alarm handler failed; retrying", "retry", n, "in", delay)
	r.setAlarmAttempt(n)
	d.batch.SetAlarm(time.Now().Add(delay))
}
