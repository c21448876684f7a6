package shard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/roomshard/roomshard/shard/storage"
)

// durable is a room's side of its storage: the fenced lease it commits
// under, the batch the running event writes into, and the runtime's record
// (meta.go). It belongs to the room's goroutine.
//
// The lease is taken at the first storage access of an activation, not
// when the room activates, so rooms whose class never touches storage
// (echo, broadcast) cost the store nothing. Taking it before the first
// read is what makes reads safe: once AcquireLease returns, every commit of
// the previous holder is visible, and none can follow.
type durable struct {
	lease  *storage.Lease // nil until taken, and again after a commit of unknown outcome
	fenced bool           // the room's lease was taken by another shard: it commits nothing more here
	batch  storage.Batch  // the running event's writes
	meta   roomMeta       // the runtime's record as this room wants it stored
	// metaDirty says the stored record differs from meta.
	metaDirty bool
	// alarmTouched says the running event called SetAlarm or DeleteAlarm.
	alarmTouched bool
}

// storageReady takes the room's lease, if not taken yet this activation,
// and loads the runtime's record.
func (r *room) storageReady(ctx context.Context) error {
	d := &r.store
	if d.fenced {
		return storage.ErrFenced
	}
	if d.lease != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.h.cfg.CommitTimeout)
	defer cancel()
	backend := r.h.cfg.Storage
	lease, err := backend.AcquireLease(ctx, r.id, r.h.cfg.Node)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoLease, err)
	}
	raw, found, err := backend.Get(ctx, r.id, metaKey)
	if err != nil {
		return err
	}
	stored := roomMeta{}
	if found {
		if stored, err = decodeMeta(raw); err != nil {
			r.log.Warn("rewriting the room's record", "err", err)
		}
	}
	d.meta = roomMeta{Namespace: r.ns, Name: r.name, AlarmAttempt: stored.AlarmAttempt}
	if d.meta.Name == "" {
		d.meta.Name = stored.Name // opened by id: keep the name it was opened by before
	}
	d.metaDirty = !found || d.meta != stored
	d.lease = &lease
	return nil
}

// setAlarmAttempt records the failed-run count of the room's alarm; it is
// written with the event's commit.
func (r *room) setAlarmAttempt(n int) {
	if r.store.meta.AlarmAttempt != n {
		r.store.meta.AlarmAttempt = n
		r.store.metaDirty = true
	}
}

// commit makes the event's storage writes durable: one atomic commit under
// the room's lease. It runs after the handler returned (also when it
// failed: like Durable Objects, writes made before an error still commit;
// only an explicit transaction rolls back) and before release. An event
// that wrote nothing commits nothing.
func (r *room) commit(ev *event) error {
	d := &r.store
	defer func() {
		d.batch.Reset()
		d.alarmTouched = false
	}()
	if d.batch.Empty() {
		return nil
	}
	if err := r.storageReady(ev.ctx); err != nil {
		return err
	}
	if _, found, decided := d.batch.Lookup(metaKey); d.metaDirty || (decided && !found) {
		// DeleteAll drops the record with the room's keys: write it again.
		if err := d.batch.Put(metaKey, d.meta.encode()); err != nil {
			return err
		}
	}
	alarm := d.batch.Alarm()
	ctx, cancel := context.WithTimeout(ev.ctx, r.h.cfg.CommitTimeout)
	defer cancel()
	start := time.Now()
	err := r.h.cfg.Storage.Commit(ctx, *d.lease, &d.batch)
	r.h.cfg.Metrics.observeCommit(time.Since(start), err == nil)
	if err != nil {
		return err
	}
	d.metaDirty = false
	r.alarmCommitted(alarm)
	return nil
}

// commitFailed fails an event whose commit did not succeed: nothing it sent
// reaches a client (its Deliver frames are dropped; registry changes such
// as closes and tags still go, since the runtime already made them), and
// the room object is rebuilt from storage by the next event. Sockets stay.
//
// A fenced commit means another shard holds the room now: the room stops
// and its gateways re-open it on the owner. Any other failure may have
// committed or not; the next storage access takes a new lease, which
// fences a commit still in flight and makes one that landed visible.
func (r *room) commitFailed(ev *event, err error) {
	ev.dropDeliveries()
	r.obj = nil
	if errors.Is(err, storage.ErrFenced) || errors.Is(err, storage.ErrClosed) {
		r.log.Info("room lost its storage lease; handing it over", "event", ev.kind, "err", err)
		r.store.fenced = true
		r.signalStop("room moved: its storage lease is held by another shard")
		return
	}
	r.log.Error("committing event failed; its messages are dropped and the room reloads", "event", ev.kind, "err", err)
	r.store.lease = nil
}
