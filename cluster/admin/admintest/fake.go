package admintest

import (
	"context"
	"slices"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// Call is one call a FakeLocal received.
type Call struct {
	// Method is "Publish", "CloseSockets" or "Drain".
	Method    string
	RoomID    string
	Data      []byte
	Binary    bool
	SocketIDs []string
	Code      int
	Reason    string
}

// FakeLocal is an in-memory admin.Local: rooms are added by the test, and
// every operation is recorded. It is safe for concurrent use.
type FakeLocal struct {
	shard string

	// protects rooms, calls and draining
	mu       sync.Mutex
	rooms    map[string]*roomshardv1.GetRoomResponse
	calls    []Call
	draining bool
}

// NewFakeLocal returns an empty FakeLocal for the named shard.
func NewFakeLocal(shard string) *FakeLocal {
	return &FakeLocal{shard: shard, rooms: map[string]*roomshardv1.GetRoomResponse{}}
}

// AddRoom makes the fake hold a room with the given sockets.
func (f *FakeLocal) AddRoom(info *roomshardv1.RoomInfo, sockets ...*roomshardv1.Socket) {
	info = proto.CloneOf(info)
	info.Shard = f.shard
	info.Sockets = int64(len(sockets))
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rooms[info.GetId()] = &roomshardv1.GetRoomResponse{Room: info, Sockets: sockets}
}

// Calls returns the calls received so far.
func (f *FakeLocal) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Draining reports whether Drain was called.
func (f *FakeLocal) Draining() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.draining
}

// Rooms implements admin.Local.
func (f *FakeLocal) Rooms(ctx context.Context) []*roomshardv1.RoomInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*roomshardv1.RoomInfo, 0, len(f.rooms))
	for _, r := range f.rooms {
		out = append(out, proto.CloneOf(r.Room))
	}
	return out
}

// Room implements admin.Local.
func (f *FakeLocal) Room(ctx context.Context, id string) (*roomshardv1.GetRoomResponse, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.rooms[id]
	if !ok {
		return nil, false
	}
	return proto.CloneOf(r), true
}

// Publish implements admin.Local: it counts the room's sockets as
// delivered to, or answers NotFound for a room the fake does not hold.
func (f *FakeLocal) Publish(ctx context.Context, room *roomshardv1.RoomRef, data []byte, binary bool) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Method: "Publish", RoomID: room.GetId(), Data: slices.Clone(data), Binary: binary})
	r, ok := f.rooms[room.GetId()]
	if !ok {
		return 0, status.Errorf(codes.NotFound, "fake shard %s holds no room %s", f.shard, room.GetId())
	}
	return int64(len(r.Sockets)), nil
}

// CloseSockets implements admin.Local: it removes the named sockets (all
// when none are named) and returns how many it removed.
func (f *FakeLocal) CloseSockets(ctx context.Context, room *roomshardv1.RoomRef, socketIDs []string, code int, reason string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Method: "CloseSockets", RoomID: room.GetId(), SocketIDs: slices.Clone(socketIDs), Code: code, Reason: reason})
	r, ok := f.rooms[room.GetId()]
	if !ok {
		return 0, status.Errorf(codes.NotFound, "fake shard %s holds no room %s", f.shard, room.GetId())
	}
	kept := r.Sockets[:0:0]
	for _, s := range r.Sockets {
		if len(socketIDs) > 0 && !slices.Contains(socketIDs, s.GetId()) {
			kept = append(kept, s)
		}
	}
	closed := int64(len(r.Sockets) - len(kept))
	r.Sockets = kept
	r.Room.Sockets = int64(len(kept))
	return closed, nil
}

// Drain implements admin.Local: it records the call and returns how many
// rooms the fake holds. It does not change the node's membership state.
func (f *FakeLocal) Drain(ctx context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Method: "Drain"})
	f.draining = true
	return int64(len(f.rooms)), nil
}
