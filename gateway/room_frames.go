package gateway

import (
	"slices"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// maxUnwoken bounds the frames queued to clients before their writers are
// woken, so one huge batch of shard frames cannot hold back the first
// socket's write for long (4,096 pushes take well under a millisecond).
const maxUnwoken = 4096

// onFrames applies a batch of shard frames from stream s in order. Client
// writers are woken once the batch is queued (or every maxUnwoken frames),
// so each writes everything the batch gave it in one writev.
func (r *room) onFrames(s *stream, fs []*roomshardv1.ShardFrame) {
	defer r.wakeWriters()
	for _, f := range fs {
		if s != r.cur {
			return // a stale stream, or this batch redirected or moved the room
		}
		if r.pushed >= maxUnwoken {
			r.wakeWriters()
		}
		switch f := f.GetFrame().(type) {
		case *roomshardv1.ShardFrame_Opened:
			r.onOpened(f.Opened)
		case *roomshardv1.ShardFrame_Redirect:
			r.onRedirect(f.Redirect)
		case *roomshardv1.ShardFrame_Moving:
			r.onMoving(f.Moving)
		case *roomshardv1.ShardFrame_Deliver:
			r.onDeliver(f.Deliver)
		case *roomshardv1.ShardFrame_Close:
			r.onCloseSocket(f.Close)
		case *roomshardv1.ShardFrame_Tags:
			if m := r.member(f.Tags.GetSocketId()); m != nil {
				m.tags = f.Tags.GetTags()
			}
		case *roomshardv1.ShardFrame_Attachment:
			if m := r.member(f.Attachment.GetSocketId()); m != nil {
				m.attachment = f.Attachment.GetAttachment()
			}
		case *roomshardv1.ShardFrame_AutoResponse:
			r.onSetAutoResponse(f.AutoResponse)
		}
	}
}

// member finds a live or closing socket.
func (r *room) member(id string) *member {
	if m := r.sockets[id]; m != nil {
		return m
	}
	return r.closing[id]
}

// onDeliver fans one message out to the local sockets it names, encoding
// the frame once for all of them. The writers wake at wakeWriters.
func (r *room) onDeliver(d *roomshardv1.Deliver) {
	f := dataFrame(d.GetData(), d.GetBinary())
	if !d.GetAll() {
		for _, id := range d.GetSocketIds() {
			if m := r.sockets[id]; m != nil {
				r.deliver(m, f)
			}
		}
		return
	}
	skip := exceptSet(d.GetExcept())
	for id, m := range r.sockets {
		if !skip(id) {
			r.deliver(m, f)
		}
	}
}

// deliver queues f for m, closing m when its queue is full.
func (r *room) deliver(m *member, f frame) {
	ok, wake := m.c.push(f)
	switch {
	case !ok:
		r.overflow(m)
	case wake:
		r.unwoken = append(r.unwoken, m.c)
	}
	r.pushed++
}

// wakeWriters signals the writers of the clients deliver queued to.
func (r *room) wakeWriters() {
	for i, c := range r.unwoken {
		c.signal()
		r.unwoken[i] = nil
	}
	r.unwoken = r.unwoken[:0]
	r.pushed = 0
}

// exceptSet returns a membership test for a Deliver's except list: a scan
// for the usual one or two ids, a map for long lists.
func exceptSet(except []string) func(string) bool {
	switch {
	case len(except) == 0:
		return func(string) bool { return false }
	case len(except) <= 8:
		return func(id string) bool { return slices.Contains(except, id) }
	}
	set := make(map[string]struct{}, len(except))
	for _, id := range except {
		set[id] = struct{}{}
	}
	return func(id string) bool { _, ok := set[id]; return ok }
}

// onCloseSocket closes a client with the room's code. The shard has already
// forgotten the socket, so nothing is reported back.
func (r *room) onCloseSocket(cs *roomshardv1.CloseSocket) {
	id, code := cs.GetSocketId(), int(cs.GetCode())
	if code == 0 {
		code = 1000 // unset: a normal close
	}
	if m := r.sockets[id]; m != nil {
		delete(r.sockets, id)
		m.c.close(closeReq{code: code, reason: cs.GetReason()})
		return
	}
	if m := r.closing[id]; m != nil {
		r.finishClosing(m, code, cs.GetReason())
	}
}

func (r *room) onSetAutoResponse(a *roomshardv1.SetAutoResponse) {
	if a.GetRequest() == "" {
		r.auto = autoResponse{}
		return
	}
	r.auto = autoResponse{set: true, request: a.GetRequest(), response: dataFrame([]byte(a.GetResponse()), false)}
}
