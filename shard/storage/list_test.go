package storage_test

import (
	"errors"
	"testing"

	"github.com/roomshard/roomshard/shard/storage"
)

func TestPrefixEnd(t *testing.T) {
	cases := []struct {
		prefix string
		want   string
		ok     bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"ab", "ac", true},
		{"a\xff", "b", true},
		{"a\xff\xff", "b", true},
		{"\xff", "", false},
		{"\xff\xff", "", false},
	}
	for _, tc := range cases {
		got, ok := storage.PrefixEnd(tc.prefix)
		if got != tc.want || ok != tc.ok {
			t.Errorf("PrefixEnd(%q) = %q, %v; want %q, %v", tc.prefix, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRange(t *testing.T) {
	cases := []struct {
		name string
		opts storage.ListOptions
		want storage.KeyRange
	}{
		{"everything", storage.ListOptions{}, storage.KeyRange{}},
		{"prefix", storage.ListOptions{Prefix: "ab"}, storage.KeyRange{Lo: "ab", Hi: "ac", HasHi: true}},
		{"start inside prefix", storage.ListOptions{Prefix: "a", Start: "ab"}, storage.KeyRange{Lo: "ab", Hi: "b", HasHi: true}},
		{"start below prefix", storage.ListOptions{Prefix: "b", Start: "a"}, storage.KeyRange{Lo: "b", Hi: "c", HasHi: true}},
		{"startAfter", storage.ListOptions{StartAfter: "k"}, storage.KeyRange{Lo: "k\x00"}},
		{"end tighter than prefix", storage.ListOptions{Prefix: "a", End: "ab"}, storage.KeyRange{Lo: "a", Hi: "ab", HasHi: true}},
		{"end looser than prefix", storage.ListOptions{Prefix: "a", End: "z"}, storage.KeyRange{Lo: "a", Hi: "b", HasHi: true}},
		{"all-0xff prefix", storage.ListOptions{Prefix: "\xff"}, storage.KeyRange{Lo: "\xff"}},
	}
	for _, tc := range cases {
		got, err := tc.opts.Range()
		if err != nil || got != tc.want {
			t.Errorf("%s: Range() = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	for _, bad := range []storage.ListOptions{{Start: "a", StartAfter: "a"}, {Limit: -1}} {
		if _, err := bad.Range(); !errors.Is(err, storage.ErrInvalidListOptions) {
			t.Errorf("Range(%+v) = %v, want ErrInvalidListOptions", bad, err)
		}
	}
}

func TestKeyRangeEmpty(t *testing.T) {
	if !(storage.KeyRange{Lo: "b", Hi: "a", HasHi: true}).Empty() || !(storage.KeyRange{Lo: "a", Hi: "a", HasHi: true}).Empty() {
		t.Error("inverted or zero-width ranges should be empty")
	}
	if (storage.KeyRange{Lo: "z"}).Empty() {
		t.Error("a range without an upper bound is never empty")
	}
}
