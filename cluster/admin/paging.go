package admin

import (
	"encoding/base64"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// Page sizes for ListRooms.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// roomKey orders rooms: by id, then by shard (a room moving between shards
// may briefly show on both).
type roomKey struct{ id, shard string }

func keyOf(r *roomshardv1.RoomInfo) roomKey { return roomKey{r.GetId(), r.GetShard()} }

func (k roomKey) compare(o roomKey) int {
	if c := strings.Compare(k.id, o.id); c != 0 {
		return c
	}
	return strings.Compare(k.shard, o.shard)
}

// encodeToken makes the opaque token that continues after k.
func encodeToken(k roomKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte(k.id + "\x00" + k.shard))
}

// decodeToken reads a token from encodeToken; "" starts from the beginning.
func decodeToken(tok string) (roomKey, bool, error) {
	if tok == "" {
		return roomKey{}, false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return roomKey{}, false, status.Error(codes.InvalidArgument, ErrBadPageToken.Error())
	}
	id, shard, ok := strings.Cut(string(b), "\x00")
	if !ok {
		return roomKey{}, false, status.Error(codes.InvalidArgument, ErrBadPageToken.Error())
	}
	return roomKey{id, shard}, true, nil
}

// pageSize applies the default and the maximum to a requested size.
func pageSize(n int32) (int, error) {
	switch {
	case n < 0:
		return 0, status.Errorf(codes.InvalidArgument, "admin: page_size %d is negative", n)
	case n == 0:
		return DefaultPageSize, nil
	case n > MaxPageSize:
		return MaxPageSize, nil
	}
	return int(n), nil
}

// page returns the first size rooms of sorted that come after the token's
// key, and whether more follow.
func page(sorted []*roomshardv1.RoomInfo, after roomKey, hasAfter bool, size int) ([]*roomshardv1.RoomInfo, bool) {
	start := 0
	if hasAfter {
		for start < len(sorted) && keyOf(sorted[start]).compare(after) <= 0 {
			start++
		}
	}
	rest := sorted[start:]
	if len(rest) > size {
		return rest[:size], true
	}
	return rest, false
}
