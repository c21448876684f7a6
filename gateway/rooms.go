package gateway

import (
	"context"
	"log/slog"
	"sync"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/ring"
)

// env is what every room actor needs from its gateway.
type env struct {
	name    string
	cfg     *Config
	log     *slog.Logger
	metrics *metrics
	ring    func() *ring.Ring
	links   *links
	// hard ends every room and stream at once (Shutdown past its deadline).
	hard context.Context
}

// rooms is the registry of room actors: one per room this gateway has
// clients in. Safe for concurrent use.
type rooms struct {
	env *env

	// protects byID, each room's refs and closed
	mu     sync.Mutex
	byID   map[string]*room
	closed bool

	actors  sync.WaitGroup // room actor goroutines
	clients sync.WaitGroup // client handlers holding a room
}

func newRooms(e *env) *rooms {
	return &rooms{env: e, byID: map[string]*room{}}
}

// acquire returns the room's actor, starting it if needed, and counts the
// caller as a client of it until release. It fails once Shutdown began.
func (rs *rooms) acquire(ref *roomshardv1.RoomRef) (*room, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.closed {
		return nil, ErrClosed
	}
	r := rs.byID[ref.GetId()]
	if r == nil {
		r = newRoom(rs.env, ref)
		rs.byID[ref.GetId()] = r
		rs.actors.Add(1)
		go func() {
			defer rs.actors.Done()
			r.run(rs.env.hard)
		}()
	}
	r.refs++
	rs.clients.Add(1)
	return r, nil
}

// release undoes acquire. The last release retires the actor: it flushes
// its stream and exits; a later client of the room starts a new one.
func (rs *rooms) release(r *room) {
	rs.mu.Lock()
	r.refs--
	last := r.refs == 0
	if last {
		delete(rs.byID, r.ref.GetId())
	}
	rs.mu.Unlock()
	if last {
		r.post(r.onQuit)
	}
	rs.clients.Done()
}

// each calls fn for every room (under the registry lock; fn must not block).
func (rs *rooms) each(fn func(*room)) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, r := range rs.byID {
		fn(r)
	}
}

// count is the number of rooms with clients here.
func (rs *rooms) count() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.byID)
}

// shutdown refuses new clients, closes every client with 1012 and waits for
// clients and room actors to finish. When ctx ends first it calls hardStop
// (which cancels env.hard, killing what is left), waits for the remains and
// returns ctx's error.
func (rs *rooms) shutdown(ctx context.Context, hardStop func()) error {
	rs.mu.Lock()
	rs.closed = true
	list := make([]*room, 0, len(rs.byID))
	for _, r := range rs.byID {
		list = append(list, r)
	}
	rs.mu.Unlock()
	for _, r := range list {
		r.post(r.onShutdown)
	}
	done := make(chan struct{})
	go func() {
		rs.clients.Wait()
		rs.actors.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		hardStop()
		<-done
		return ctx.Err()
	}
}
