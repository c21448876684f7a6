package memory_test

import (
	"testing"

	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/memory"
	"github.com/roomshard/roomshard/shard/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		s := memory.New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}
