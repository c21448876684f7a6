package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/pgtest"
	"github.com/roomshard/roomshard/shard/storage/postgres"
	"github.com/roomshard/roomshard/shard/storage/storagetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func openAt(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), postgres.Config{URL: url})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t,
		func(t *testing.T) storage.Backend { return openAt(t, pgtest.Start(t)) },
		storagetest.WithReopen(func(t *testing.T) storagetest.Opener {
			url := pgtest.Start(t)
			return func(t *testing.T) storage.Backend { return openAt(t, url) }
		}),
	)
}
