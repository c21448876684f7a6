package postgres_test

import (
	"context"
	"testing"

	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/pgtest"
	"github.com/roomshard/roomshard/shard/storage/postgres"
	"github.com/roomshard/roomshard/shard/storage/storagetest"
)

// BenchmarkCommit has 1,000 rooms commit at once on a server with fsync on,
// with group commit on (one transaction per group) and off (one per commit):
//
//	go test -run '^$' -bench BenchmarkCommit ./shard/storage/postgres/
func BenchmarkCommit(b *testing.B) {
	url := pgtest.StartDurable(b)
	for _, mode := range []struct {
		name  string
		group storage.GroupCommit
	}{
		{"group", storage.GroupCommit{}},
		{"single", storage.GroupCommit{Disabled: true}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			s, err := postgres.Open(context.Background(), postgres.Config{URL: url, GroupCommit: mode.group})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			storagetest.BenchmarkCommits(b, s, 1000)
		})
	}
}
