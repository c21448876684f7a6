package shard

import (
	"cmp"
	"slices"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// Outbound is the shard-to-gateway side of one gateway stream. The runtime
// calls it from room goroutines; implementations must be safe for
// concurrent use.
type Outbound interface {
	// Send queues frames for the gateway, in order. It must not block: an
	// implementation that cannot keep up ends its stream with an error, and
	// the runtime learns it through Conn.Detach. It may keep the frames but
	// not the slice, which the runtime reuses for its next event.
	Send(frames ...*roomshardv1.ShardFrame)
	// Close ends the stream once the queued frames are sent: normally with
	// a nil err, else with err. Only the first call counts.
	Close(err error)
}

// sockState is where a socket is in its life.
type sockState uint8

const (
	sockOpen    sockState = iota
	sockClosing           // its close or error event is running; out of the registry
	sockClosed
)

// socket is one registry entry: what the runtime knows about a client
// socket, independent of the room object.
type socket struct {
	id          string
	link        *link
	tags        []string
	attachment  []byte
	identity    string
	connectedAt time.Time
	lastAuto    time.Time
	accepted    bool
	seq         uint64 // registration order, for Sockets
	state       sockState
	ws          *WebSocket // the handle rooms see, made once
}

func (s *socket) proto() *roomshardv1.Socket {
	p := &roomshardv1.Socket{
		Id:                s.id,
		Tags:              slices.Clone(s.tags),
		Attachment:        slices.Clone(s.attachment),
		ConnectedAtUnixMs: s.connectedAt.UnixMilli(),
		Identity:          s.identity,
		Gateway:           s.link.gateway,
		Accepted:          s.accepted,
	}
	if !s.lastAuto.IsZero() {
		p.LastAutoResponseUnixMs = s.lastAuto.UnixMilli()
	}
	return p
}

// link is one gateway stream attached to a room.
type link struct {
	gateway string
	out     Outbound
	sockets map[string]*socket
	// recent remembers sockets this room removed, so frames the gateway sent
	// before it learned of the removal are dropped instead of failing the stream.
	recent tombstones
	gone   bool
}

func newLink(gateway string, out Outbound) *link {
	return &link{gateway: gateway, out: out, sockets: map[string]*socket{}}
}

// registry is a room's socket registry. It is plain data owned by the
// room's goroutine and outlives the room object (hibernation).
type registry struct {
	sockets map[string]*socket
	links   []*link // in attach order
	seq     uint64
}

func newRegistry() *registry { return &registry{sockets: map[string]*socket{}} }

func (r *registry) len() int { return len(r.sockets) }

func (r *registry) add(s *socket) {
	r.seq++
	s.seq = r.seq
	r.sockets[s.id] = s
	s.link.sockets[s.id] = s
}

// remove takes s out of the registry and remembers its id on its link.
func (r *registry) remove(s *socket) {
	delete(r.sockets, s.id)
	delete(s.link.sockets, s.id)
	s.link.recent.add(s.id)
}

// move re-homes s on another link (a gateway's new stream).
func (r *registry) move(s *socket, l *link) {
	delete(s.link.sockets, s.id)
	s.link = l
	l.sockets[s.id] = s
}

// list returns the sockets with tag (all when tag is ""), in registration order.
func (r *registry) list(tag string) []*socket {
	out := make([]*socket, 0, len(r.sockets))
	for _, s := range r.sockets {
		if tag == "" || slices.Contains(s.tags, tag) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b *socket) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

func (r *registry) addLink(l *link) { r.links = append(r.links, l) }

func (r *registry) removeLink(l *link) {
	r.links = slices.DeleteFunc(r.links, func(x *link) bool { return x == l })
}

// linkOf returns the live link of a gateway.
func (r *registry) linkOf(gateway string) *link {
	for _, l := range r.links {
		if l.gateway == gateway && !l.gone {
			return l
		}
	}
	return nil
}

// tombstones is a bounded set of recently removed socket ids.
type tombstones struct {
	ids  map[string]struct{}
	ring []string
	next int
}

const maxTombstones = 1024

func (t *tombstones) add(id string) {
	if t.ids == nil {
		t.ids = make(map[string]struct{})
	}
	if _, ok := t.ids[id]; ok {
		return
	}
	if len(t.ring) < maxTombstones {
		t.ring = append(t.ring, id)
	} else {
		delete(t.ids, t.ring[t.next])
		t.ring[t.next] = id
		t.next = (t.next + 1) % maxTombstones
	}
	t.ids[id] = struct{}{}
}

func (t *tombstones) has(id string) bool {
	_, ok := t.ids[id]
	return ok
}
