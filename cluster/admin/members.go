package admin

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/membership"
)

// ListMembers implements roomshardv1.AdminServiceServer: every member this
// node sees, sorted by name.
func (s *Server) ListMembers(ctx context.Context, req *roomshardv1.ListMembersRequest) (*roomshardv1.ListMembersResponse, error) {
	members := s.cfg.Membership.Members()
	resp := &roomshardv1.ListMembersResponse{
		Members:    make([]*roomshardv1.Member, 0, len(members)),
		AnsweredBy: s.self(),
	}
	for _, m := range members {
		resp.Members = append(resp.Members, memberProto(m))
	}
	slices.SortFunc(resp.Members, func(a, b *roomshardv1.Member) int { return strings.Compare(a.Name, b.Name) })
	return resp, nil
}

// memberProto converts a membership member to its API form.
func memberProto(m membership.Member) *roomshardv1.Member {
	return &roomshardv1.Member{
		Name:       m.Name,
		Role:       m.Meta.GetRole(),
		State:      m.Meta.GetState(),
		GossipAddr: m.GossipAddr,
		GrpcAddr:   m.Meta.GetGrpcAddr(),
		HttpAddr:   m.Meta.GetHttpAddr(),
		Namespaces: slices.Clone(m.Meta.GetNamespaces()),
		Health:     m.Health,
	}
}

// shardTarget returns the named member as a forwarding target. It fails
// with NotFound for an unknown name and InvalidArgument for a gateway.
func (s *Server) shardTarget(name string) (target, error) {
	m, ok := s.cfg.Membership.Member(name)
	if !ok {
		return target{}, status.Errorf(codes.NotFound, "admin: no member named %q", name)
	}
	if m.Meta.GetRole() != roomshardv1.Role_ROLE_SHARD {
		return target{}, status.Errorf(codes.InvalidArgument, "admin: member %q is a %s, not a shard", name, roleName(m.Meta.GetRole()))
	}
	return target{name: m.Name, addr: m.Meta.GetGrpcAddr()}, nil
}

// shardTargets lists every member with the shard role, active or draining:
// a draining shard still holds rooms.
func (s *Server) shardTargets() []target {
	var out []target
	for _, m := range s.cfg.Membership.Members() {
		if m.Meta.GetRole() == roomshardv1.Role_ROLE_SHARD {
			out = append(out, target{name: m.Name, addr: m.Meta.GetGrpcAddr()})
		}
	}
	return out
}

// roleName is the lowercase word for a role ("shard", "gateway").
func roleName(r roomshardv1.Role) string {
	switch r {
	case roomshardv1.Role_ROLE_SHARD:
		return "shard"
	case roomshardv1.Role_ROLE_GATEWAY:
		return "gateway"
	}
	return "node of unknown role"
}
