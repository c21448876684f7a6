package backends_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/backends"
	"github.com/roomshard/roomshard/shard/storage/memory"
	"github.com/roomshard/roomshard/shard/storage/pebble"
	"github.com/roomshard/roomshard/shard/storage/pgtest"
	"github.com/roomshard/roomshard/shard/storage/postgres"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func open(t *testing.T, spec string) storage.Backend {
	t.Helper()
	b, err := backends.Open(context.Background(), spec)
	if err != nil {
		t.Fatalf("Open(%q): %v", spec, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestOpenPicksTheBackend(t *testing.T) {
	if _, ok := open(t, "memory").(*memory.Store); !ok {
		t.Error("memory did not open a memory store")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if _, ok := open(t, "pebble:"+dir).(*pebble.Store); !ok {
		t.Error("pebble:PATH did not open a pebble store")
	}
	url := pgtest.Start(t)
	if _, ok := open(t, url).(*postgres.Store); !ok {
		t.Error("postgres:// did not open a postgres store")
	}
	if _, ok := open(t, "postgresql"+strings.TrimPrefix(url, "postgres")).(*postgres.Store); !ok {
		t.Error("postgresql:// did not open a postgres store")
	}
}

// TestThreeShardsShareOnePebblePath opens one pebble spec three times, as
// roomctl dev's shards do: a write through one is read through another.
func TestThreeShardsShareOnePebblePath(t *testing.T) {
	spec := "pebble:" + filepath.Join(t.TempDir(), ".roomshard")
	shards := []storage.Backend{open(t, spec), open(t, spec), open(t, spec)}
	ctx := context.Background()
	lease, err := shards[0].AcquireLease(ctx, "room", "shard-0")
	if err != nil {
		t.Fatal(err)
	}
	var batch storage.Batch
	if err := batch.Put("k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := shards[0].Commit(ctx, lease, &batch); err != nil {
		t.Fatal(err)
	}
	if v, found, err := shards[2].Get(ctx, "room", "k"); err != nil || !found || string(v) != "v" {
		t.Fatalf("another shard reads %q, %v, %v", v, found, err)
	}
}

func TestOpenRejectsUnknownSpecs(t *testing.T) {
	for _, spec := range []string{"", "pebble:", "mysql://u:hunter2@host/db", "Memory", "./data"} {
		_, err := backends.Open(context.Background(), spec)
		if !errors.Is(err, backends.ErrUnknownSpec) {
			t.Errorf("Open(%q) = %v, want ErrUnknownSpec", spec, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) error leaks the password: %v", spec, err)
		}
	}
}
