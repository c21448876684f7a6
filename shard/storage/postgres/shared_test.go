package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/pgtest"
	"github.com/roomshard/roomshard/shard/storage/postgres"
)

func must(t testing.TB, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func putBatch(t testing.TB, kvs ...string) *storage.Batch {
	t.Helper()
	var b storage.Batch
	for i := 0; i+1 < len(kvs); i += 2 {
		must(t, b.Put(kvs[i], []byte(kvs[i+1])))
	}
	return &b
}

// TestTwoProcessesFenceEachOther uses two Stores on one database, as two
// shard processes: a room moving from one to the other fences the first.
func TestTwoProcessesFenceEachOther(t *testing.T) {
	url := pgtest.Start(t)
	shardA, shardB := openAt(t, url), openAt(t, url)
	ctx := context.Background()
	room := strings.Repeat("ab", 32)

	leaseA, err := shardA.AcquireLease(ctx, room, "shard-a")
	must(t, err)
	must(t, shardA.Commit(ctx, leaseA, putBatch(t, "k", "from a")))

	leaseB, err := shardB.AcquireLease(ctx, room, "shard-b")
	must(t, err)
	if leaseB.Epoch <= leaseA.Epoch {
		t.Fatalf("epoch %d from the second process not above %d", leaseB.Epoch, leaseA.Epoch)
	}
	// The new owner sees everything the old one committed.
	if v, found, err := shardB.Get(ctx, room, "k"); err != nil || !found || string(v) != "from a" {
		t.Fatalf("new owner reads %q, %v, %v", v, found, err)
	}
	if err := shardA.Commit(ctx, leaseA, putBatch(t, "k", "stale")); !errors.Is(err, storage.ErrFenced) {
		t.Fatalf("old owner's commit = %v, want ErrFenced", err)
	}
	must(t, shardB.Commit(ctx, leaseB, putBatch(t, "k", "from b")))
	if v, _, _ := shardA.Get(ctx, room, "k"); string(v) != "from b" {
		t.Fatalf("old owner reads %q, want the new owner's write", v)
	}
}

// TestGroupMixesFencedAndCurrentCommits commits for many rooms at once, half
// of them under leases another process has taken, so groups hold both.
func TestGroupMixesFencedAndCurrentCommits(t *testing.T) {
	url := pgtest.Start(t)
	shardA, shardB := openAt(t, url), openAt(t, url)
	ctx := context.Background()
	const rooms = 40
	leases := make([]storage.Lease, rooms)
	for i := range leases {
		var err error
		leases[i], err = shardA.AcquireLease(ctx, fmt.Sprintf("%064x", i), "shard-a")
		must(t, err)
		if i%2 == 1 {
			_, err = shardB.AcquireLease(ctx, leases[i].Room, "shard-b")
			must(t, err)
		}
	}
	var wg sync.WaitGroup
	for i, lease := range leases {
		wg.Go(func() {
			err := shardA.Commit(ctx, lease, putBatch(t, "k", "v"))
			if fenced := i%2 == 1; fenced != errors.Is(err, storage.ErrFenced) || (!fenced && err != nil) {
				t.Errorf("room %d (fenced %v): commit = %v", i, fenced, err)
			}
		})
	}
	wg.Wait()
	for i, lease := range leases {
		_, found, err := shardA.Get(ctx, lease.Room, "k")
		must(t, err)
		if found != (i%2 == 0) {
			t.Errorf("room %d: key found %v, want %v", i, found, i%2 == 0)
		}
	}
}

// TestConcurrentMigrations opens many stores on a fresh database at once,
// as shards starting together; each must succeed and migrate exactly once.
func TestConcurrentMigrations(t *testing.T) {
	url := pgtest.Start(t)
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			s, err := postgres.Open(context.Background(), postgres.Config{URL: url})
			if err != nil {
				t.Errorf("concurrent Open: %v", err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	openAt(t, url) // and once more, after
	if got := schemaVersions(t, url); got != "[1]" {
		t.Fatalf("schema versions %s, want [1]", got)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	url := pgtest.Start(t)
	openAt(t, url).Close()
	exec(t, url, `INSERT INTO roomshard_schema_version (version) VALUES (99)`)
	if _, err := postgres.Open(context.Background(), postgres.Config{URL: url}); !errors.Is(err, postgres.ErrSchemaTooNew) {
		t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := postgres.Open(ctx, postgres.Config{}); !errors.Is(err, postgres.ErrNoURL) {
		t.Fatalf("Open without URL = %v, want ErrNoURL", err)
	}
	if _, err := postgres.Open(ctx, postgres.Config{URL: "postgres://user:secret@127.0.0.1:1/db?connect_timeout=1"}); err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	} else if strings.Contains(err.Error(), "secret") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func exec(t testing.TB, url, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	must(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	must(t, err)
}

func schemaVersions(t testing.TB, url string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	must(t, err)
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT version FROM roomshard_schema_version ORDER BY version`)
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	must(t, err)
	return fmt.Sprint(versions)
}
