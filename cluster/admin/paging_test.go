package admin

import (
	"fmt"
	"testing"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

func TestPageToken(t *testing.T) {
	for _, k := range []roomKey{{"a", "s1"}, {"", ""}, {"ff00", "shard-with-dashes"}} {
		got, ok, err := decodeToken(encodeToken(k))
		if err != nil || !ok || got != k {
			t.Errorf("round trip of %v: %v %v %v", k, got, ok, err)
		}
	}
	if _, ok, err := decodeToken(""); ok || err != nil {
		t.Errorf(`"" must start from the beginning: %v %v`, ok, err)
	}
	for _, bad := range []string{"!!", "YWJj" /* "abc": no separator */} {
		if _, _, err := decodeToken(bad); err == nil {
			t.Errorf("decodeToken(%q) accepted", bad)
		}
	}
}

func TestPage(t *testing.T) {
	var rooms []*roomshardv1.RoomInfo
	for i := range 10 {
		rooms = append(rooms, &roomshardv1.RoomInfo{Id: fmt.Sprintf("%02d", i), Shard: "s1"})
	}
	for _, tc := range []struct {
		after     roomKey
		hasAfter  bool
		size      int
		first     string
		n         int
		wantMore  bool
		describes string
	}{
		{size: 3, first: "00", n: 3, wantMore: true, describes: "first page"},
		{after: roomKey{"02", "s1"}, hasAfter: true, size: 3, first: "03", n: 3, wantMore: true, describes: "middle"},
		{after: roomKey{"06", "s1"}, hasAfter: true, size: 3, first: "07", n: 3, describes: "exactly the rest"},
		{after: roomKey{"02", "s0"}, hasAfter: true, size: 1, first: "02", n: 1, wantMore: true, describes: "same id, earlier shard"},
		{after: roomKey{"09", "s1"}, hasAfter: true, size: 3, n: 0, describes: "past the end"},
		{size: 100, first: "00", n: 10, describes: "all"},
	} {
		got, more := page(rooms, tc.after, tc.hasAfter, tc.size)
		if len(got) != tc.n || more != tc.wantMore || (tc.n > 0 && got[0].Id != tc.first) {
			t.Errorf("%s: %d rooms, more=%v", tc.describes, len(got), more)
		}
	}
}

func TestPageSize(t *testing.T) {
	for in, want := range map[int32]int{0: DefaultPageSize, 1: 1, 1000: 1000, 1001: MaxPageSize} {
		if got, err := pageSize(in); err != nil || got != want {
			t.Errorf("pageSize(%d) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := pageSize(-1); err == nil {
		t.Error("pageSize(-1) accepted")
	}
}

func TestCloseCode(t *testing.T) {
	for in, want := range map[int32]int{0: 1000, 1000: 1000, 1001: 1001, 1008: 1008, 1011: 1011, 1013: 1013, 3000: 3000, 4999: 4999} {
		if got, err := closeCode(in); err != nil || got != want {
			t.Errorf("closeCode(%d) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []int32{-1, 999, 1004, 1005, 1006, 1015, 2999, 5000} {
		if _, err := closeCode(bad); err == nil {
			t.Errorf("closeCode(%d) accepted", bad)
		}
	}
}
