package pebble_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/pebble"
	"github.com/roomshard/roomshard/shard/storage/storagetest"
)

func openAt(t *testing.T, path string) *pebble.Store {
	t.Helper()
	s, err := pebble.Open(context.Background(), pebble.Config{Path: path})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t,
		func(t *testing.T) storage.Backend { return openAt(t, t.TempDir()) },
		storagetest.WithReopen(func(t *testing.T) storagetest.Opener {
			dir := filepath.Join(t.TempDir(), "data")
			return func(t *testing.T) storage.Backend { return openAt(t, dir) }
		}),
	)
}
