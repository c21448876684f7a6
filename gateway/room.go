package gateway

import (
	"context"
	"log/slog"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// room is the gateway side of one room: an actor (serf's coalesce loop
// shape) that owns the room's local sockets and its one stream to the
// owning shard. Every field below inbox is touched only by run's goroutine;
// other goroutines post closures to inbox.
type room struct {
	env *env
	ref *roomshardv1.RoomRef
	log *slog.Logger

	inbox    chan func()
	ringKick chan struct{} // cap 1: the ring changed
	done     chan struct{} // closed when run returns

	refs int // clients holding the room; guarded by rooms.mu

	sockets map[string]*member // live sockets by session id
	closing map[string]*member // client-closed sockets awaiting the room's code
	auto    autoResponse

	// pending holds gateway frames while no stream is confirmed open; they
	// go to the next stream in order once the shard answers RoomOpened.
	pending []*roomshardv1.GatewayFrame

	cur        *stream // nil when no stream runs
	gen        uint64  // generation of the newest stream
	opened     bool    // cur has answered RoomOpened
	shard      string  // shard that confirmed the open
	ringOwner  string  // owner by our ring when cur was started
	redirectTo string  // gRPC address from the last Redirect, used once
	redirects  int     // redirects since the last successful open
	attempts   int     // failed opens since the last successful open
	downSince  time.Time
	retry      *time.Timer
	retryC     <-chan time.Time
	openTimer  *time.Timer // bounds the wait for RoomOpened
	openC      <-chan time.Time

	// redirectStranger: redirectTo names a shard our ring lacks, tried
	// only briefly (see onRedirect); strangerAttempt: cur is such a try
	redirectStranger bool
	strangerAttempt  bool

	// unwoken are clients given frames by the current batch of shard
	// frames whose writers are not yet signalled (see wakeWriters).
	unwoken []*client
	pushed  int // frames queued since the last wakeWriters

	quitting bool // no client holds the room any more
	exit     bool // run should return
	leaveC   <-chan time.Time
}

// member is one socket of the room as the gateway keeps it.
type member struct {
	c          *client
	tags       []string
	attachment []byte
	lastAuto   int64 // unix ms of the last auto-response; 0 if never
	// client close awaiting the room's CloseSocket (closing only)
	closeCode   int
	closeReason string
	closeTimer  *time.Timer
}

// autoResponse is the room's auto-response pair, answered at the gateway.
type autoResponse struct {
	set      bool
	request  string
	response frame
}

func newRoom(e *env, ref *roomshardv1.RoomRef) *room {
	return &room{
		env:      e,
		ref:      ref,
		log:      e.log.With("room", ref.GetId(), "namespace", ref.GetNamespace()),
		inbox:    make(chan func(), 64),
		ringKick: make(chan struct{}, 1),
		done:     make(chan struct{}),
		sockets:  map[string]*member{},
		closing:  map[string]*member{},
	}
}

// post hands fn to the actor, blocking while its inbox is full (which
// back-pressures the posting client). It returns false once the actor has
// exited.
func (r *room) post(fn func()) bool {
	select {
	case r.inbox <- fn:
		return true
	case <-r.done:
		return false
	}
}

// kickRing tells the actor the ring changed; it never blocks.
func (r *room) kickRing() {
	select {
	case r.ringKick <- struct{}{}:
	default:
	}
}

// run is the actor loop. hard ends it at once (Shutdown past its deadline).
func (r *room) run(hard context.Context) {
	defer close(r.done)
	defer r.stopStream()
	for !r.exit {
		select {
		case fn := <-r.inbox:
			fn()
		case <-r.ringKick:
			r.onRing()
		case <-r.retryC:
			r.retryC = nil
			r.open()
		case <-r.openC:
			r.openC = nil
			r.onOpenTimeout()
		case <-r.leaveC:
			r.exit = true
		case <-hard.Done():
			r.killAll()
			return
		}
	}
	if r.retry != nil {
		r.retry.Stop()
	}
	if r.openTimer != nil {
		r.openTimer.Stop()
	}
}

// offer implements streamSink.
func (r *room) offer(s *stream, fs []*roomshardv1.ShardFrame) bool {
	select {
	case r.inbox <- func() { r.onFrames(s, fs) }:
		return true
	default:
		return false
	}
}

// frames implements streamSink.
func (r *room) frames(s *stream, fs []*roomshardv1.ShardFrame) bool {
	select {
	case r.inbox <- func() { r.onFrames(s, fs) }:
		return true
	case <-s.stopping:
		return false
	case <-r.done:
		return false
	}
}

// ended implements streamSink.
func (r *room) ended(s *stream, err error) {
	select {
	case r.inbox <- func() { r.onEnded(s, err) }:
	case <-s.stopping:
	case <-r.done:
	}
}

// send queues a frame for the shard: straight to the open stream, or to
// pending until one is open.
func (r *room) send(f *roomshardv1.GatewayFrame) {
	if r.opened {
		r.cur.out.push(f)
		return
	}
	r.pending = append(r.pending, f)
}

// backlog is how many frames wait for the shard.
func (r *room) backlog() int {
	if r.opened {
		return r.cur.out.len()
	}
	return len(r.pending)
}

// socketInfo is the Socket announced to a shard for m.
func (m *member) socketInfo(accepted bool) *roomshardv1.Socket {
	// Tags and attachment slices are replaced, never modified, so sharing
	// them with a frame the stream writer marshals concurrently is safe.
	return &roomshardv1.Socket{
		Id:                     m.c.id,
		Identity:               m.c.identity,
		Tags:                   m.tags,
		Attachment:             m.attachment,
		ConnectedAtUnixMs:      m.c.connectedAt.UnixMilli(),
		LastAutoResponseUnixMs: m.lastAuto,
		Accepted:               accepted,
	}
}
