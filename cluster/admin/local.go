package admin

import (
	"context"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// Local is what a shard contributes to the admin API: its own rooms. Gateways
// have none and pass nil. Methods are called from gRPC handler goroutines,
// concurrently; they must not wait on a busy room for longer than ctx allows.
type Local interface {
	// Rooms lists the rooms this shard holds, active or hibernated.
	Rooms(ctx context.Context) []*roomshardv1.RoomInfo
	// Room describes one room this shard holds; false when it holds none.
	Room(ctx context.Context, id string) (*roomshardv1.GetRoomResponse, bool)
	// Publish sends data to every socket of the room without running room
	// code, and returns how many sockets it was sent to.
	Publish(ctx context.Context, room *roomshardv1.RoomRef, data []byte, binary bool) (int64, error)
	// CloseSockets closes socketIDs of the room (all when empty).
	CloseSockets(ctx context.Context, room *roomshardv1.RoomRef, socketIDs []string, code int, reason string) (int64, error)
	// Drain marks the shard draining; its rooms move away and it exits.
	// It returns how many rooms the shard held when the drain started.
	Drain(ctx context.Context) (int64, error)
}
