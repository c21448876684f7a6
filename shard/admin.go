package shard

import (
	"context"
	"slices"
	"strings"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/roomid"
)

// This file is the Host's part of the admin API (cluster/admin.Local).
// Listing reads counters the rooms publish; the other operations run on
// the room's goroutine, bounded by ctx, and never run room code.

// Rooms lists the rooms this shard holds, active or hibernated, by id.
func (h *Host) Rooms(ctx context.Context) []*roomshardv1.RoomInfo {
	h.mu.Lock()
	out := make([]*roomshardv1.RoomInfo, 0, len(h.rooms))
	for _, r := range h.rooms {
		out = append(out, r.info())
	}
	h.mu.Unlock()
	slices.SortFunc(out, func(a, b *roomshardv1.RoomInfo) int { return strings.Compare(a.GetId(), b.GetId()) })
	return out
}

func (r *room) info() *roomshardv1.RoomInfo {
	return &roomshardv1.RoomInfo{
		Id: r.id, Namespace: r.ns, Name: r.name, Shard: r.h.cfg.Node,
		Sockets:    r.nSockets.Load(),
		Hibernated: r.hibernated.Load(),
		Gateways:   r.nGateways.Load(),
		LeaseEpoch: r.leaseEpoch.Load(),
	}
}

// Room describes one room this shard holds and its sockets.
func (h *Host) Room(ctx context.Context, id string) (*roomshardv1.GetRoomResponse, bool) {
	r := h.room(id)
	if r == nil {
		return nil, false
	}
	var got *roomshardv1.GetRoomResponse // written by the room; read only after ask succeeds
	err := r.ask(ctx, func() {
		d := &roomshardv1.GetRoomResponse{Room: r.info()}
		for _, s := range r.reg.list("") {
			d.Sockets = append(d.Sockets, s.proto())
		}
		d.Room.Sockets = int64(len(d.Sockets))
		d.Room.Gateways = int32(len(r.reg.links))
		d.Room.Hibernated = r.obj == nil
		got = d
	})
	// A busy or stopping room is still held: answer from its counters.
	resp := &roomshardv1.GetRoomResponse{Room: r.info()}
	if err == nil {
		resp = got
	}
	if owner, ok := h.cfg.Ring().Owner(id); ok {
		resp.Owner = owner.Name
	}
	return resp, true
}

// roomOf finds the room a reference names; nil when not held here.
func (h *Host) roomOf(ref *roomshardv1.RoomRef) *room {
	id := ref.GetId()
	if id == "" && ref.GetName() != "" {
		id = roomid.FromName(ref.GetNamespace(), ref.GetName())
	}
	if id == "" {
		return nil
	}
	return h.room(id)
}

// Publish sends data to every socket of the room without running room
// code, and returns how many sockets it was sent to (0 when the room is
// not held here).
func (h *Host) Publish(ctx context.Context, ref *roomshardv1.RoomRef, data []byte, binary bool) (int64, error) {
	r := h.roomOf(ref)
	if r == nil {
		return 0, nil
	}
	data = slices.Clone(data)
	var n int
	if err := r.ask(ctx, func() { n = r.sendAll(nil, data, binary) }); err != nil {
		return 0, err
	}
	return int64(n), nil
}

// CloseSockets closes socketIDs of the room (all when empty) with code
// (1000 when 0) without running close handlers, and returns how many it
// closed. Unknown ids are skipped.
func (h *Host) CloseSockets(ctx context.Context, ref *roomshardv1.RoomRef, socketIDs []string, code int, reason string) (int64, error) {
	if code == 0 {
		code = CloseNormal
	}
	if err := checkClose(code, reason); err != nil {
		return 0, err
	}
	r := h.roomOf(ref)
	if r == nil {
		return 0, nil
	}
	var n int64
	err := r.ask(ctx, func() {
		targets := r.reg.list("")
		if len(socketIDs) > 0 {
			targets = targets[:0]
			for _, id := range socketIDs {
				if s := r.reg.sockets[id]; s != nil {
					targets = append(targets, s)
				}
			}
		}
		for _, s := range targets {
			r.closeSocket(s, code, reason)
			n++
		}
	})
	if err != nil {
		return 0, err // n may still be written by the room
	}
	return n, nil
}

// Drain marks the shard draining: it leaves the ring, so gateways stop
// opening rooms here, and hands every room off (see Rebalance). Drained
// is closed once no room is left; the shard process exits then. It
// returns how many rooms the shard held when the drain started.
//
// The state is gossiped before the rooms stop, so gateways that get
// RoomMoving mostly find the new owner on their ring already.
func (h *Host) Drain(ctx context.Context) (int64, error) {
	n := int64(h.RoomCount())
	h.draining.Store(true)
	var err error
	if h.cfg.SetState != nil {
		err = h.cfg.SetState(ctx, roomshardv1.MemberState_MEMBER_STATE_DRAINING)
	}
	// Hand off even when gossip failed: the shard refuses rooms now.
	h.Rebalance()
	h.mu.Lock()
	h.noteEmpty()
	h.mu.Unlock()
	return n, err
}

// Draining reports whether Drain was called.
func (h *Host) Draining() bool { return h.draining.Load() }
