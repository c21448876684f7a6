package pebble

import (
	"bytes"
	"math"
	"slices"
	"testing"
)

func TestMillisSortInTimeOrder(t *testing.T) {
	times := []int64{math.MinInt64, -1000, -1, 0, 1, 1000, math.MaxInt64}
	var encoded [][]byte
	for _, ms := range times {
		b := encodeMillis(ms)
		got, err := decodeMillis(b)
		if err != nil || got != ms {
			t.Fatalf("decodeMillis(encodeMillis(%d)) = %d, %v", ms, got, err)
		}
		encoded = append(encoded, b)
	}
	if !slices.IsSortedFunc(encoded, bytes.Compare) {
		t.Fatal("encoded times do not sort in time order")
	}
}

func TestAlarmIndexKeyRoundTrip(t *testing.T) {
	a, err := decodeAlarmIndexKey(alarmIndexKey(-5, "room\x00id"))
	if err != nil || a.Room != "room\x00id" || a.At.UnixMilli() != -5 {
		t.Fatalf("round trip = %+v, %v", a, err)
	}
	for _, bad := range [][]byte{nil, {tagAlarmIndex}, []byte("x12345678room")} {
		if _, err := decodeAlarmIndexKey(bad); err == nil {
			t.Errorf("decodeAlarmIndexKey(%q) accepted", bad)
		}
	}
}

func TestLeaseRecordRoundTrip(t *testing.T) {
	for _, l := range []leaseRecord{{epoch: 1, holder: "shard-a"}, {epoch: math.MaxUint64, released: true}} {
		got, err := decodeLease(l.encode())
		if err != nil || got != l {
			t.Fatalf("round trip of %+v = %+v, %v", l, got, err)
		}
	}
	if _, err := decodeLease([]byte{1, 2}); err == nil {
		t.Fatal("decodeLease accepted a short record")
	}
}

// TestRoomRangesAreDisjoint checks that a room whose id is a prefix of
// another's does not scan into it.
func TestRoomRangesAreDisjoint(t *testing.T) {
	lo, hi := roomDataSpan("ab")
	for _, k := range [][]byte{dataKey("abc", "k"), dataKey("a", "bk"), dataKey("ac", "")} {
		if bytes.Compare(k, lo) >= 0 && bytes.Compare(k, hi) < 0 {
			t.Errorf("key %q of another room falls in room ab's span", k)
		}
	}
	if k := dataKey("ab", "\xff\xff"); bytes.Compare(k, lo) < 0 || bytes.Compare(k, hi) >= 0 {
		t.Errorf("room ab's own key %q is outside its span", k)
	}
}
