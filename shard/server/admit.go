package server

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/roomid"
)

// admit refuses a room the shard does not hold yet once it holds
// MaxRooms, with ResourceExhausted (the gateway closes the room's sockets
// with 1013). A room it holds always admits more gateways. The check and
// the activation are not atomic, so concurrent opens may overshoot the
// limit by a few rooms; it bounds memory, not an exact count.
func (s *Service) admit(ref *roomshardv1.RoomRef) error {
	if s.MaxRooms <= 0 || s.host.RoomCount() < s.MaxRooms {
		return nil
	}
	id := ref.GetId()
	if id == "" {
		id = roomid.FromName(ref.GetNamespace(), ref.GetName())
	}
	if s.host.Holds(id) {
		return nil
	}
	return status.Errorf(codes.ResourceExhausted, "%v: %d rooms held", ErrRoomLimit, s.MaxRooms)
}
