package pebble_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	cpebble "github.com/cockroachdb/pebble"

	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/pebble"
)

// TestShardsOfOneProcessShareADirectory opens one directory three times,
// as roomctl dev's three shards do, by different spellings of its path.
func TestShardsOfOneProcessShareADirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	a := openAt(t, "data")
	b := openAt(t, filepath.Join(dir, "data"))
	c := openAt(t, "./data/../data")
	if a.Path() != b.Path() || b.Path() != c.Path() {
		t.Fatalf("paths differ: %s %s %s", a.Path(), b.Path(), c.Path())
	}

	ctx := context.Background()
	lease, err := a.AcquireLease(ctx, "room", "shard-1")
	if err != nil {
		t.Fatal(err)
	}
	var batch storage.Batch
	must(t, batch.Put("k", []byte("v")))
	must(t, a.Commit(ctx, lease, &batch))
	// A lease taken through one handle fences commits through another.
	if _, err := b.AcquireLease(ctx, "room", "shard-2"); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(ctx, lease, &batch); !errors.Is(err, storage.ErrFenced) {
		t.Fatalf("commit after another handle's acquire = %v, want ErrFenced", err)
	}

	// Closing one handle leaves the others working.
	must(t, a.Close())
	if _, _, err := a.Get(ctx, "room", "k"); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("Get on a closed handle = %v, want ErrClosed", err)
	}
	if v, found, err := c.Get(ctx, "room", "k"); err != nil || !found || string(v) != "v" {
		t.Fatalf("Get through another handle = %q, %v, %v", v, found, err)
	}

	// Once every handle is closed the directory can be opened again.
	must(t, b.Close(), c.Close())
	d := openAt(t, "data")
	if _, found, err := d.Get(ctx, "room", "k"); err != nil || !found {
		t.Fatalf("Get after reopening = %v, %v", found, err)
	}
}

func TestConcurrentOpenAndClose(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				s, err := pebble.Open(context.Background(), pebble.Config{Path: dir})
				if err != nil {
					t.Error(err)
					return
				}
				if _, _, err := s.Get(context.Background(), "room", "k"); err != nil {
					t.Error(err)
				}
				if err := s.Close(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}

func TestOpenRefusesUnknownFormat(t *testing.T) {
	dir := t.TempDir()
	db, err := cpebble.Open(dir, &cpebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	must(t, db.Set([]byte("mformat"), []byte("99"), cpebble.Sync), db.Close())
	if _, err := pebble.Open(context.Background(), pebble.Config{Path: dir}); !errors.Is(err, pebble.ErrFormat) {
		t.Fatalf("Open = %v, want ErrFormat", err)
	}
	// The failed open left the directory free.
	db, err = cpebble.Open(dir, &cpebble.Options{})
	if err != nil {
		t.Fatalf("directory still locked after a failed Open: %v", err)
	}
	must(t, db.Close())
}

func TestOpenErrors(t *testing.T) {
	if _, err := pebble.Open(context.Background(), pebble.Config{}); !errors.Is(err, pebble.ErrNoPath) {
		t.Fatalf("Open without a path = %v, want ErrNoPath", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	must(t, os.WriteFile(file, nil, 0o644))
	if _, err := pebble.Open(context.Background(), pebble.Config{Path: file}); err == nil {
		t.Fatal("Open on a regular file succeeded")
	}
}

func must(t testing.TB, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
