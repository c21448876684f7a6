package gateway

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/grpc"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// linkIdle is how long a Link with no room stream stays open: rooms come
// and go, and the next one to the same shard then needs no new RPC.
const linkIdle = 30 * time.Second

// links holds the gateway's Links: at most one to each shard address
// (ShardService.Link), carrying every room stream to that shard. Safe for
// concurrent use.
type links struct {
	hard    context.Context // ends every Link at once
	dial    func(addr string) (grpc.ClientConnInterface, error)
	log     *slog.Logger
	metrics *metrics
	wg      sync.WaitGroup // Link goroutines

	// protects byAddr and closed
	mu     sync.Mutex
	byAddr map[string]*link
	closed bool
}

func newLinks(hard context.Context, dial func(addr string) (grpc.ClientConnInterface, error), log *slog.Logger, m *metrics) *links {
	return &links{hard: hard, dial: dial, log: log, metrics: m, byAddr: map[string]*link{}}
}

// open starts a room stream to the shard at addr, with open as its first
// frame. The Link to addr is started if there is none; opening its RPC
// happens on the Link's goroutine, so a slow dial never blocks the actor.
func (ls *links) open(addr string, gen uint64, open *roomshardv1.GatewayFrame, sink streamSink) (*stream, error) {
	for {
		l, err := ls.get(addr)
		if err != nil {
			return nil, err
		}
		if s := l.add(gen, open, sink); s != nil {
			return s, nil
		}
		// That Link broke a moment ago and left the registry: take the next.
	}
}

// get returns the Link to addr, starting it if needed.
func (ls *links) get(addr string) (*link, error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.closed {
		return nil, ErrClosed
	}
	if l := ls.byAddr[addr]; l != nil {
		return l, nil
	}
	cc, err := ls.dial(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ls.hard)
	l := &link{ls: ls, addr: addr, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1),
		streams: map[uint64]*stream{}}
	ls.byAddr[addr] = l
	ls.wg.Add(1)
	go func() {
		defer ls.wg.Done()
		l.run(cc)
	}()
	return l, nil
}

// drop removes l from the registry if it is still there.
func (ls *links) drop(l *link) {
	ls.mu.Lock()
	if ls.byAddr[l.addr] == l {
		delete(ls.byAddr, l.addr)
	}
	ls.mu.Unlock()
}

// close ends every Link and waits for their goroutines. Room streams still
// on them end with the Links' error.
func (ls *links) close() {
	ls.mu.Lock()
	ls.closed = true
	all := make([]*link, 0, len(ls.byAddr))
	for _, l := range ls.byAddr {
		all = append(all, l)
	}
	ls.mu.Unlock()
	for _, l := range all {
		l.cancel()
	}
	ls.wg.Wait()
}

// link is the gateway's side of one Link RPC to a shard.
type link struct {
	ls     *links
	addr   string
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{} // cap 1: ready or cancels changed

	// protects everything below, and each stream's queued and ended
	mu      sync.Mutex
	streams map[uint64]*stream
	nextID  uint64
	ready   []*stream // streams whose outbox has something to send
	cancels []uint64  // stopped streams the shard must drop
	broken  bool      // ended: takes no more streams
}

// add registers a new room stream and queues its first frame. It returns
// nil when the Link already ended.
func (l *link) add(gen uint64, open *roomshardv1.GatewayFrame, sink streamSink) *stream {
	l.mu.Lock()
	if l.broken {
		l.mu.Unlock()
		return nil
	}
	l.nextID++
	s := &stream{gen: gen, addr: l.addr, id: l.nextID, l: l, sink: sink, stopping: make(chan struct{})}
	s.out = newOutbox(func() { l.markReady(s) })
	// The first frame is queued with the id, under the same lock, so ids
	// go out in the order they were given: the shard takes an id below its
	// highest for a stream that ended.
	s.out.frames = append(s.out.frames, open)
	s.queued = true
	l.ready = append(l.ready, s)
	l.streams[s.id] = s
	l.mu.Unlock()
	l.ls.metrics.streamsOpen.Inc()
	l.signal()
	return s
}

// remove takes a stopped stream off the Link; the shard is told to drop it
// unless it ended it itself.
func (l *link) remove(s *stream) {
	l.mu.Lock()
	if l.streams[s.id] != s {
		l.mu.Unlock()
		return
	}
	delete(l.streams, s.id)
	cancel := !s.ended && !l.broken
	if cancel {
		l.cancels = append(l.cancels, s.id)
	}
	l.mu.Unlock()
	l.ls.metrics.streamsOpen.Dec()
	l.signal()
}

func (l *link) markReady(s *stream) {
	l.mu.Lock()
	add := !s.queued && l.streams[s.id] == s
	if add {
		s.queued = true
		l.ready = append(l.ready, s)
	}
	l.mu.Unlock()
	if add {
		l.signal()
	}
}

func (l *link) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// run opens the Link RPC and serves it until it breaks, the gateway
// closes, or it has been idle for linkIdle.
func (l *link) run(cc grpc.ClientConnInterface) {
	defer l.cancel()
	rpc, err := roomshardv1.NewShardServiceClient(cc).Link(l.ctx)
	if err != nil {
		l.fail(err)
		return
	}
	l.ls.metrics.linksOpen.Inc()
	defer l.ls.metrics.linksOpen.Dec()
	read := make(chan error, 1)
	readEnded := make(chan struct{})
	go func() {
		read <- l.read(rpc)
		close(readEnded)
	}()
	broken := l.write(rpc, readEnded)
	if !broken {
		// The Link is done (closing or idle): end the RPC.
		l.cancel()
	}
	// Recv tells why a broken Link broke (a failed Send only says EOF).
	err = <-read
	if broken {
		l.ls.log.Info("link to shard broke; its rooms re-open", "addr", l.addr, "err", err)
	} else {
		err = ErrClosed
	}
	l.fail(err)
}

// read hands each stream what the shard sent it until the RPC ends.
func (l *link) read(rpc roomshardv1.ShardService_LinkClient) error {
	for {
		resp, err := rpc.Recv()
		if err != nil {
			return err
		}
		for _, part := range resp.GetStreams() {
			l.mu.Lock()
			s := l.streams[part.GetStream()]
			if s != nil && part.GetEnd() != nil {
				s.ended = true
			}
			l.mu.Unlock()
			if s == nil {
				continue // stopped: the actor no longer wants it
			}
			if len(part.GetFrames()) > 0 {
				s.deliver(shardStep{frames: part.GetFrames()})
			}
			if end := part.GetEnd(); end != nil {
				s.deliver(shardStep{end: true, err: endError(end)})
			}
		}
	}
}

// fail ends the Link: it leaves the registry, and every stream still on it
// ends with err (the room re-opens it, on a new Link).
func (l *link) fail(err error) {
	l.ls.drop(l)
	l.mu.Lock()
	l.broken = true
	left := make([]*stream, 0, len(l.streams))
	for _, s := range l.streams {
		if !s.ended {
			s.ended = true
			left = append(left, s)
		}
	}
	l.mu.Unlock()
	for _, s := range left {
		s.deliver(shardStep{end: true, err: err})
	}
}

// write sends what the streams queue, many streams per message, until the
// Link's context ends or it idled out, or it broke: a Send failed or the
// reader ended (readEnded).
func (l *link) write(rpc roomshardv1.ShardService_LinkClient, readEnded <-chan struct{}) (broken bool) {
	idle := time.NewTimer(linkIdle)
	defer idle.Stop()
	var spare []*stream
	for {
		l.mu.Lock()
		ready, cancels := l.ready, l.cancels
		l.ready, l.cancels, spare = spare[:0], nil, nil
		for _, s := range ready {
			s.queued = false
		}
		empty := len(l.streams) == 0
		l.mu.Unlock()
		if len(ready) > 0 || len(cancels) > 0 {
			if !l.send(rpc, ready, cancels) {
				return true
			}
			clear(ready)
			spare = ready
			continue
		}
		if empty {
			idle.Reset(linkIdle)
		} else {
			idle.Stop()
		}
		select {
		case <-l.wake:
		case <-readEnded:
			return true
		case <-l.ctx.Done():
			return false
		case <-idle.C:
			if l.retire() {
				return false
			}
		}
	}
}

// retire ends an idle Link unless a stream arrived meanwhile.
func (l *link) retire() bool {
	l.ls.mu.Lock()
	defer l.ls.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.streams) > 0 || len(l.ready) > 0 || len(l.cancels) > 0 {
		return false
	}
	l.broken = true
	if l.ls.byAddr[l.addr] == l {
		delete(l.ls.byAddr, l.addr)
	}
	return true
}

// send sends one LinkRequest, or several when the streams queued more
// than maxBatchBytes. Batches of a failed Send go back to their outboxes,
// so the rooms hand them to their next streams in order.
func (l *link) send(rpc roomshardv1.ShardService_LinkClient, ready []*stream, cancels []uint64) bool {
	req := &roomshardv1.LinkRequest{}
	var taken []*stream
	size := 0
	flush := func() bool {
		if len(req.Streams) == 0 {
			return true
		}
		err := rpc.Send(req)
		if err != nil {
			for i, s := range taken {
				part := req.Streams[i]
				s.out.putBack(part.Frames, part.HalfClose)
			}
		}
		req, taken, size = &roomshardv1.LinkRequest{}, nil, 0
		return err == nil
	}
	for _, s := range ready {
		batch, closeSend := s.out.take()
		if len(batch) == 0 && !closeSend {
			continue
		}
		for _, f := range batch {
			size += frameSize(f)
		}
		req.Streams = append(req.Streams, &roomshardv1.LinkGatewayFrames{Stream: s.id, Frames: batch, HalfClose: closeSend})
		taken = append(taken, s)
		if s.out.len() > 0 {
			l.markReady(s) // take stops at maxBatchBytes; the rest goes next
		}
		if size >= maxBatchBytes && !flush() {
			return false
		}
	}
	// After the streams' parts, so putBack's indexes hold; a failed Send
	// ends the Link and with it every stream, so cancels need no retry.
	for _, id := range cancels {
		req.Streams = append(req.Streams, &roomshardv1.LinkGatewayFrames{Stream: id, Cancel: true})
	}
	return flush()
}
