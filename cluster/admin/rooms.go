package admin

import (
	"context"
	"slices"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// ListRooms implements roomshardv1.AdminServiceServer. With local set it
// answers from this shard's rooms; otherwise it asks every shard (or the
// one named) in parallel and merges their answers, sorted by id.
func (s *Server) ListRooms(ctx context.Context, req *roomshardv1.ListRoomsRequest) (*roomshardv1.ListRoomsResponse, error) {
	size, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	after, hasAfter, err := decodeToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	if req.GetLocal() {
		rooms, err := s.localRooms(ctx, req)
		if err != nil {
			return nil, err
		}
		return pageResponse(rooms, after, hasAfter, size, false, nil), nil
	}
	if ns := req.GetNamespace(); ns != "" {
		if err := s.checkNamespace(ns); err != nil {
			return nil, err
		}
	}
	targets := s.shardTargets()
	if req.GetShard() != "" {
		t, err := s.shardTarget(req.GetShard())
		if err != nil {
			return nil, err
		}
		targets = []target{t}
	}
	sub := proto.Clone(req).(*roomshardv1.ListRoomsRequest)
	sub.Local, sub.PageSize = true, int32(size)
	answers := s.askShards(ctx, targets, sub)

	var all []*roomshardv1.RoomInfo
	var unreachable []string
	more := false
	for i, a := range answers {
		if a.err != nil {
			s.cfg.Logger.Warn("listing rooms: shard did not answer", "shard", targets[i].name, "err", a.err)
			unreachable = append(unreachable, targets[i].name)
			continue
		}
		all = append(all, a.resp.GetRooms()...)
		more = more || a.resp.GetNextPageToken() != ""
	}
	slices.SortFunc(all, func(a, b *roomshardv1.RoomInfo) int { return keyOf(a).compare(keyOf(b)) })
	slices.Sort(unreachable)
	return pageResponse(all, after, hasAfter, size, more, unreachable), nil
}

// pageResponse cuts one page from sorted rooms; more says a shard has
// rooms beyond the ones it sent.
func pageResponse(sorted []*roomshardv1.RoomInfo, after roomKey, hasAfter bool, size int, more bool, unreachable []string) *roomshardv1.ListRoomsResponse {
	rooms, cut := page(sorted, after, hasAfter, size)
	resp := &roomshardv1.ListRoomsResponse{Rooms: rooms, Unreachable: unreachable}
	if (cut || more) && len(rooms) > 0 {
		resp.NextPageToken = encodeToken(keyOf(rooms[len(rooms)-1]))
	}
	return resp
}

// roomsAnswer is one shard's answer to a local ListRooms.
type roomsAnswer struct {
	resp *roomshardv1.ListRoomsResponse
	err  error
}

// askShards sends req to every target in parallel and waits for all; this
// node's own part is answered in process.
func (s *Server) askShards(ctx context.Context, targets []target, req *roomshardv1.ListRoomsRequest) []roomsAnswer {
	answers := make([]roomsAnswer, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() {
			if t.name == s.self() && s.cfg.Local != nil {
				answers[i].resp, answers[i].err = s.ListRooms(ctx, req)
				return
			}
			answers[i].resp, answers[i].err = forward(ctx, s, t, func(ctx context.Context, c roomshardv1.AdminServiceClient) (*roomshardv1.ListRoomsResponse, error) {
				return c.ListRooms(ctx, req)
			})
		})
	}
	wg.Wait()
	return answers
}

// localRooms lists this shard's rooms that match req's filters, sorted.
func (s *Server) localRooms(ctx context.Context, req *roomshardv1.ListRoomsRequest) ([]*roomshardv1.RoomInfo, error) {
	if s.cfg.Local == nil {
		return nil, status.Error(codes.FailedPrecondition, ErrNotShard.Error())
	}
	if sh := req.GetShard(); sh != "" && sh != s.self() {
		return nil, nil
	}
	var out []*roomshardv1.RoomInfo
	for _, r := range s.cfg.Local.Rooms(ctx) {
		if ns := req.GetNamespace(); ns != "" && r.GetNamespace() != ns {
			continue
		}
		if r.GetShard() == "" {
			r = proto.CloneOf(r)
			r.Shard = s.self()
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *roomshardv1.RoomInfo) int { return keyOf(a).compare(keyOf(b)) })
	return out, nil
}
