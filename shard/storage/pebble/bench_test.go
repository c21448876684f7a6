package pebble_test

import (
	"context"
	"testing"

	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/pebble"
	"github.com/roomshard/roomshard/shard/storage/storagetest"
)

// BenchmarkCommit has 1,000 rooms commit at once, with group commit on (one
// sync per group) and off (one sync per commit):
//
//	go test -run '^$' -bench BenchmarkCommit ./shard/storage/pebble/
func BenchmarkCommit(b *testing.B) {
	for _, mode := range []struct {
		name  string
		group storage.GroupCommit
	}{
		{"group", storage.GroupCommit{}},
		{"single", storage.GroupCommit{Disabled: true}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			s, err := pebble.Open(context.Background(), pebble.Config{Path: b.TempDir(), GroupCommit: mode.group})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			storagetest.BenchmarkCommits(b, s, 1000)
		})
	}
}
