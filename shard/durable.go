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
	if err := r.awaitHandOff(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrNoLease, err)
	}
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
			r.logger().Warn("rewriting the room's record", "err", err)
		}
	}
	d.meta = roomMeta{Namespace: r.ns, Name: r.name, AlarmAttempt: stored.AlarmAttempt}
	if d.meta.Name == "" {
		d.meta.Name = stored.Name // opened by id: keep the name it was opened by before
	}
	d.metaDirty = !found || d.meta != stored
	r.setLease(&lease)
	return nil
}

// A room waiting for its previous owner's hand-off looks at the lease again
// after handOffPoll, doubling up to handOffPollMax: a hand-off usually takes
// one gossip round, and many rooms waiting at once must not flood the store.
const (
	handOffPoll    = 20 * time.Millisecond
	handOffPollMax = 200 * time.Millisecond
)

// awaitHandOff waits, up to HandOffWait, while another shard that is still
// a live member holds the room's lease. That shard is the room's previous
// owner and has not yet seen the ring that moved the room, or is draining
// and finishing the room's last event: then it stops the room and
// releases the lease. Taking the lease first would fence it, which is
// safe, but the room would run on both shards meanwhile, the old one
// answering reads from state that is no longer current. A holder that is
// gone (dead, partitioned away, left) is not waited for: its lease is
// simply taken.
func (r *room) awaitHandOff(ctx context.Context) error {
	wait := r.h.cfg.HandOffWait
	if wait < 0 {
		return nil
	}
	start := time.Now()
	deadline := start.Add(wait)
	pause := handOffPoll
	var stop <-chan struct{} // made when the room first waits: most rooms never do
	for waited := false; ; waited = true {
		cur, held, err := r.h.cfg.Storage.CurrentLease(ctx, r.id)
		if err != nil {
			return fmt.Errorf("reading the room's lease: %w", err)
		}
		if !held || cur.Holder == r.h.cfg.Node {
			if waited {
				r.logger().Debug("previous owner handed the room over", "holder", cur.Holder, "waited", time.Since(start))
			}
			return nil
		}
		if !r.h.cfg.Alive(cur.Holder) {
			r.logger().Debug("taking the room's lease from a shard that is gone", "holder", cur.Holder, "epoch", cur.Epoch)
			return nil
		}
		if !waited {
			r.logger().Debug("waiting for the previous owner to hand the room over", "holder", cur.Holder, "epoch", cur.Epoch)
		}
		if time.Now().After(deadline) {
			r.logger().Warn("previous owner did not hand the room over in time; taking its lease", "holder", cur.Holder, "epoch", cur.Epoch, "waited", wait)
			return nil
		}
		if stop == nil {
			stop = r.stopChan()
		}
		select {
		case <-time.After(pause):
			pause = min(2*pause, handOffPollMax)
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			return ErrRoomStopped
		}
	}
}

// releaseLease gives up the room's lease as it stops here, so that the
// next owner takes it at once instead of waiting for it (awaitHandOff).
// Best effort: a lease not released is fenced by the next owner anyway.
func (r *room) releaseLease() {
	d := &r.store
	if d.lease == nil || d.fenced {
		return
	}
	lease := *d.lease
	r.setLease(nil)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.h.ctx), releaseTimeout)
	defer cancel()
	if err := r.h.cfg.Storage.ReleaseLease(ctx, lease); err != nil && !errors.Is(err, storage.ErrClosed) {
		r.logger().Warn("releasing the room's storage lease", "err", err)
	}
}

// releaseTimeout bounds releasing a lease as a room stops. It is short: a
// room stopping because its storage is unreachable must not hold up its
// hand-off for long, and an unreleased lease costs the next owner at most
// HandOffWait.
const releaseTimeout = time.Second

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
		r.logger().Info("room lost its storage lease; handing it over", "event", ev.kind, "err", err)
		r.fence()
		return
	}
	r.logger().Error("committing event failed; its messages are dropped and the room reloads", "event", ev.kind, "err", err)
	r.setLease(nil)
}

// setLease records the lease the room commits under (nil for none) and
// publishes its epoch for admin (RoomInfo.lease_epoch).
func (r *room) setLease(l *storage.Lease) {
	r.store.lease = l
	var epoch uint64
	if l != nil {
		epoch = l.Epoch
	}
	r.leaseEpoch.Store(epoch)
}
