package admin

import (
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/roomid"
)

// roomID validates a room reference and returns its id: id as given, or
// derived from namespace and name. When both are given they must agree.
func (s *Server) roomID(namespace, name, id string) (string, error) {
	if id == "" && namespace == "" && name == "" {
		return "", status.Error(codes.InvalidArgument, "admin: a room needs a namespace and a name, or an id")
	}
	if namespace != "" || name != "" {
		if namespace == "" {
			return "", status.Error(codes.InvalidArgument, "admin: a room name needs a namespace")
		}
		if err := s.checkNamespace(namespace); err != nil {
			return "", err
		}
	}
	if id != "" {
		if err := roomid.CheckID(id); err != nil {
			return "", status.Errorf(codes.InvalidArgument, "%v: %q", err, id)
		}
		if name != "" && roomid.FromName(namespace, name) != id {
			return "", status.Errorf(codes.InvalidArgument, "admin: id %s is not the id of room %q in namespace %q", id, name, namespace)
		}
		return id, nil
	}
	if err := roomid.CheckName(name); err != nil {
		return "", status.Error(codes.InvalidArgument, err.Error())
	}
	return roomid.FromName(namespace, name), nil
}

// roomRef validates ref and returns a copy with its id filled in.
func (s *Server) roomRef(ref *roomshardv1.RoomRef) (*roomshardv1.RoomRef, error) {
	if ref == nil {
		return nil, status.Error(codes.InvalidArgument, "admin: the request names no room")
	}
	id, err := s.roomID(ref.GetNamespace(), ref.GetName(), ref.GetId())
	if err != nil {
		return nil, err
	}
	return &roomshardv1.RoomRef{Namespace: ref.GetNamespace(), Name: ref.GetName(), Id: id}, nil
}

// checkNamespace fails with InvalidArgument for a namespace no shard
// serves, or FailedPrecondition when no shard has told us any.
func (s *Server) checkNamespace(namespace string) error {
	if _, ok := s.cfg.Membership.NamespaceClass(namespace); ok {
		return nil
	}
	known := s.cfg.Membership.Namespaces()
	if len(known) == 0 {
		return status.Errorf(codes.FailedPrecondition, "admin: namespace %q: no shard has announced any namespace", namespace)
	}
	names := make([]string, 0, len(known))
	for ns := range known {
		names = append(names, ns)
	}
	slices.Sort(names)
	return status.Errorf(codes.InvalidArgument, "admin: unknown namespace %q (known: %s)", namespace, strings.Join(names, ", "))
}
