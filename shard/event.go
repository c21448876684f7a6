package shard

import (
	"context"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// Event kinds, as they appear in logs and metrics.
const (
	evConnect = "connect"
	evMessage = "message"
	evClose   = "close"
	evError   = "error"
	evAlarm   = "alarm"
)

// event is one run of room code. Everything the handler sends is kept in
// its outbox; after the handler returns, commit makes the event's storage
// writes durable and only then release hands the outbox to the gateway
// streams (Durable Objects' output gate).
type event struct {
	kind    string
	ctx     context.Context
	sock    *socket // the socket the event is about; nil for alarms
	started time.Time
	outbox  []linkFrames
	// The event's storage writes are buffered in the room's durable.batch
	// (durable.go); Storage reads through them.
}

// linkFrames is the part of an outbox bound for one gateway stream.
type linkFrames struct {
	l      *link
	frames []*roomshardv1.ShardFrame
}

func (e *event) push(l *link, f *roomshardv1.ShardFrame) {
	for i := range e.outbox {
		if e.outbox[i].l == l {
			e.outbox[i].frames = append(e.outbox[i].frames, f)
			return
		}
	}
	if n := len(e.outbox); n < cap(e.outbox) {
		// An entry a previous event of the room used (see room.release):
		// its frames array is empty and no longer shared.
		e.outbox = e.outbox[:n+1]
		e.outbox[n].l = l
		e.outbox[n].frames = append(e.outbox[n].frames[:0], f)
		return
	}
	e.outbox = append(e.outbox, linkFrames{l: l, frames: []*roomshardv1.ShardFrame{f}})
}

// pushFront puts f before the frames already queued for l.
func (e *event) pushFront(l *link, f *roomshardv1.ShardFrame) {
	for i := range e.outbox {
		if e.outbox[i].l == l {
			e.outbox[i].frames = append([]*roomshardv1.ShardFrame{f}, e.outbox[i].frames...)
			return
		}
	}
	e.push(l, f)
}

// dropDeliveries removes the messages from the outbox and keeps the
// runtime's frames (closes, tags, attachments, auto-responses), which
// report registry changes already made.
func (e *event) dropDeliveries() {
	// Fresh slices, not filtered in place: release hands the outbox's
	// arrays to the room's next event, so two entries must never share one.
	kept := make([]linkFrames, 0, len(e.outbox))
	for _, lf := range e.outbox {
		frames := make([]*roomshardv1.ShardFrame, 0, len(lf.frames))
		for _, f := range lf.frames {
			if f.GetDeliver() == nil {
				frames = append(frames, f)
			}
		}
		if len(frames) > 0 {
			kept = append(kept, linkFrames{l: lf.l, frames: frames})
		}
	}
	e.outbox = kept
}

// release hands the outbox to the gateway streams, one Send per stream so
// the stream writer can put the whole event in one gRPC message. The
// emptied outbox is kept for the room's next event, which then queues its
// frames without allocating.
func (r *room) release(ev *event) {
	for i := range ev.outbox {
		lf := &ev.outbox[i]
		if !lf.l.gone {
			lf.l.out.Send(lf.frames...)
		}
		clear(lf.frames)
		lf.l = nil
		if cap(lf.frames) > maxKeptFrames {
			lf.frames = nil // one big event should not pin its array
		}
		lf.frames = lf.frames[:0]
	}
	r.spareOutbox = ev.outbox[:0]
	ev.outbox = nil
}

// maxKeptFrames bounds the frames array an outbox entry keeps for reuse.
const maxKeptFrames = 64

// emit queues f for l: in the current event's outbox, or at once outside
// events (admin operations, which run no room code and write nothing).
func (r *room) emit(l *link, f *roomshardv1.ShardFrame) {
	if l.gone {
		return
	}
	if r.cur != nil {
		r.cur.push(l, f)
		return
	}
	l.out.Send(f)
}
