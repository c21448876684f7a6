package gateway

import (
	"cmp"
	"slices"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

const (
	// maxRedirects is how many redirects in a row are followed at once;
	// past it the room backs off and asks its own ring again.
	maxRedirects = 3
	retryBase    = 50 * time.Millisecond
	retryMax     = time.Second
	// strangerAttemptTimeout bounds an attempt on a redirect to a shard
	// our ring does not have (see onRedirect).
	strangerAttemptTimeout = 500 * time.Millisecond
	// lagRetry is the pause after a failed attempt on such a shard: the
	// redirecting shard's ring lags ours and converges within a few
	// gossip intervals, and no event tells us when, so ask again soon
	// instead of backing off.
	lagRetry = 100 * time.Millisecond
	// openAttemptTimeout bounds one attempt's wait for RoomOpened (also at
	// most half of RoomOpenTimeout), so a shard that accepts connections
	// but never answers, or a dial hanging on a vanished host, does not
	// hold the room.
	openAttemptTimeout = 3 * time.Second
)

// open starts a stream to the room's owner. Only called with no stream.
func (r *room) open() {
	if r.quitting || len(r.sockets) == 0 {
		return // nobody to open it for
	}
	now := time.Now()
	if r.downSince.IsZero() {
		r.downSince = now
	}
	if now.Sub(r.downSince) >= r.env.cfg.RoomOpenTimeout {
		r.unavailable()
		return
	}
	addr, owner, version := r.target()
	if addr == "" {
		r.scheduleRetry()
		return
	}
	open := &roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_Open{Open: &roomshardv1.OpenRoom{
		Room: r.ref, Gateway: r.env.name, RingVersion: version, Sockets: r.announce(),
	}}}
	s, err := r.env.links.open(addr, r.gen+1, open, r)
	if err != nil {
		r.log.Warn("dialing shard", "addr", addr, "err", err)
		r.scheduleRetry()
		return
	}
	r.gen++
	r.cur = s
	r.opened = false
	r.ringOwner = owner
	limit := openAttemptTimeout
	r.strangerAttempt, r.redirectStranger = r.redirectStranger, false
	if r.strangerAttempt {
		limit = strangerAttemptTimeout
	}
	r.armOpenTimer(min(limit, r.env.cfg.RoomOpenTimeout/2, r.env.cfg.RoomOpenTimeout-now.Sub(r.downSince)))
}

func (r *room) armOpenTimer(d time.Duration) {
	if r.openTimer == nil {
		r.openTimer = time.NewTimer(d)
	} else {
		r.openTimer.Reset(d)
	}
	r.openC = r.openTimer.C
}

func (r *room) disarmOpenTimer() {
	if r.openTimer != nil {
		r.openTimer.Stop()
	}
	r.openC = nil
}

// onOpenTimeout abandons an attempt the shard did not answer in time.
func (r *room) onOpenTimeout() {
	if r.cur == nil || r.opened {
		return
	}
	r.log.Debug("room open timed out", "addr", r.cur.addr)
	r.stopStream()
	r.env.metrics.streamReopens.Inc()
	r.retryAfterFailure()
}

// target is where to open the room: the last redirect's address, else the
// owner on our ring.
func (r *room) target() (addr, owner string, version uint64) {
	rg := r.env.ring()
	node, ok := rg.Owner(r.ref.GetId())
	if r.redirectTo != "" {
		addr, r.redirectTo = r.redirectTo, ""
		return addr, node.Name, rg.Version()
	}
	if !ok {
		return "", "", 0
	}
	return node.Addr, node.Name, rg.Version()
}

// announce lists the sockets a new stream re-announces in OpenRoom: every
// live socket whose SocketConnected already went to a shard. Sockets still
// connecting follow as their pending SocketConnected. Pending frames about
// sockets the new shard will not know (closed after an earlier shard heard
// of them) are dropped.
func (r *room) announce() []*roomshardv1.Socket {
	connecting := map[string]bool{}
	for _, f := range r.pending {
		if c := f.GetConnected(); c != nil {
			connecting[c.GetSocket().GetId()] = true
		}
	}
	kept := r.pending[:0]
	for _, f := range r.pending {
		if id := frameSocketID(f); connecting[id] || r.sockets[id] != nil {
			kept = append(kept, f)
		}
	}
	clear(r.pending[len(kept):])
	r.pending = kept

	var out []*roomshardv1.Socket
	for id, m := range r.sockets {
		if !connecting[id] {
			out = append(out, m.socketInfo(true))
		}
	}
	slices.SortFunc(out, func(a, b *roomshardv1.Socket) int {
		return cmp.Or(cmp.Compare(a.ConnectedAtUnixMs, b.ConnectedAtUnixMs), cmp.Compare(a.Id, b.Id))
	})
	return out
}

func frameSocketID(f *roomshardv1.GatewayFrame) string {
	switch f := f.GetFrame().(type) {
	case *roomshardv1.GatewayFrame_Connected:
		return f.Connected.GetSocket().GetId()
	case *roomshardv1.GatewayFrame_Message:
		return f.Message.GetSocketId()
	case *roomshardv1.GatewayFrame_Closed:
		return f.Closed.GetSocketId()
	case *roomshardv1.GatewayFrame_Error:
		return f.Error.GetSocketId()
	case *roomshardv1.GatewayFrame_AutoResponded:
		return f.AutoResponded.GetSocketId()
	}
	return ""
}

// onOpened: the shard runs the room; release the frames held meanwhile.
func (r *room) onOpened(o *roomshardv1.RoomOpened) {
	r.disarmOpenTimer()
	r.opened = true
	r.shard = o.GetShard()
	r.downSince = time.Time{}
	r.attempts, r.redirects = 0, 0
	if len(r.pending) > 0 {
		r.cur.out.push(r.pending...)
		r.pending = nil
	}
}

// onRedirect follows a shard's pointer to the owner it sees.
func (r *room) onRedirect(rd *roomshardv1.Redirect) {
	r.env.metrics.redirects.Inc()
	r.stopStream()
	r.redirects++
	if r.redirects > maxRedirects || rd.GetOwnerGrpcAddr() == "" {
		r.redirects = 0
		r.scheduleRetry()
		return
	}
	r.redirectTo = rd.GetOwnerGrpcAddr()
	// An owner missing from our ring is either new (our ring lags) or
	// dead, stalled or draining (the shard's ring lags ours). Follow it,
	// but give up on it quickly: a frozen shard would otherwise hold the
	// room for openAttemptTimeout after our ring already moved on.
	r.redirectStranger = !r.env.ring().Has(rd.GetOwner())
	r.open()
}

// onMoving: the shard stopped the room; re-open it after a short pause that
// lets membership catch up (the old shard redirects us if it has not).
func (r *room) onMoving(mv *roomshardv1.RoomMoving) {
	r.log.Debug("room moving", "shard", r.shard, "reason", mv.GetReason())
	r.stopStream()
	r.env.metrics.streamReopens.Inc()
	r.scheduleRetry()
}

// onEnded: the stream broke (shard died or ended it) or, when quitting,
// the shard acknowledged our half-close.
func (r *room) onEnded(s *stream, err error) {
	if s != r.cur {
		return
	}
	full := !r.opened && status.Code(err) == codes.ResourceExhausted
	r.stopStream()
	if full && !r.quitting {
		// The owner is at its --max-rooms: tell clients to come back later
		// (1013) rather than queue them behind a shard that said no.
		r.log.Warn("shard refused the room: at its room limit", "addr", s.addr)
		r.unavailable()
		return
	}
	if r.quitting {
		r.exit = true
		return
	}
	r.log.Debug("room stream ended", "addr", s.addr, "err", err)
	r.env.metrics.streamReopens.Inc()
	r.retryAfterFailure()
}

// onRing re-opens the room when the ring gives it to another shard, and
// retries at once a room waiting for a shard.
func (r *room) onRing() {
	if r.quitting {
		return
	}
	node, ok := r.env.ring().Owner(r.ref.GetId())
	switch {
	case r.cur == nil:
		if r.retryC != nil {
			r.retry.Stop()
			r.retryC = nil
			r.open()
		}
	case !r.opened && ok && node.Name != r.ringOwner:
		r.log.Debug("room owner changed while opening", "to", node.Name)
		r.stopStream()
		r.open()
	case r.opened && ok && node.Name != r.ringOwner && node.Name != r.shard:
		r.log.Debug("room owner changed", "from", r.shard, "to", node.Name)
		r.stopStream()
		r.env.metrics.streamReopens.Inc()
		r.open()
	case ok:
		r.ringOwner = node.Name
	}
}

// stopStream ends the current stream and takes back the frames it had not
// sent, ahead of anything pending, so order is kept across streams.
func (r *room) stopStream() {
	if r.cur == nil {
		return
	}
	r.disarmOpenTimer()
	r.cur.stop()
	if left := r.cur.out.drain(); len(left) > 0 {
		r.pending = append(left, r.pending...)
	}
	r.cur, r.opened = nil, false
	if r.downSince.IsZero() {
		r.downSince = time.Now()
	}
}

// retryAfterFailure schedules the next attempt after a failed one.
func (r *room) retryAfterFailure() {
	if r.strangerAttempt {
		r.scheduleRetryIn(lagRetry)
		return
	}
	r.scheduleRetry()
}

// scheduleRetry arms the retry timer with exponential backoff.
func (r *room) scheduleRetry() {
	delay := min(retryBase<<min(r.attempts, 8), retryMax)
	r.attempts++
	r.scheduleRetryIn(delay)
}

// scheduleRetryIn arms the retry timer.
func (r *room) scheduleRetryIn(delay time.Duration) {
	if r.retry == nil {
		r.retry = time.NewTimer(delay)
	} else {
		r.retry.Reset(delay)
	}
	r.retryC = r.retry.C
}

// unavailable gives up on a room no shard would open in time: its sockets
// are closed with 1013 so clients retry later.
func (r *room) unavailable() {
	r.log.Warn("room unavailable; closing its sockets", "sockets", len(r.sockets), "after", r.env.cfg.RoomOpenTimeout)
	r.closeAll(websocket.CloseTryAgainLater, reasonUnavailable)
	r.pending = nil
	r.downSince = time.Time{}
	r.attempts = 0
}
