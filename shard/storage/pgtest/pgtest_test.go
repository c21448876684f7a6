package pgtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/roomshard/roomshard/shard/storage/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestStartGivesSeparateDatabases(t *testing.T) {
	ctx := context.Background()
	first, second := pgtest.Start(t), pgtest.Start(t)
	if first == second {
		t.Fatalf("two Starts returned the same database %s", first)
	}
	conn, err := pgx.Connect(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
}

func TestServerStopsAndCleansUp(t *testing.T) {
	ctx := context.Background()
	server, err := pgtest.StartServer(ctx, pgtest.Options{})
	if err != nil {
		if err == pgtest.ErrNoBinaries {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	url, err := server.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := server.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if conn, err := pgx.Connect(ctx, url); err == nil {
		conn.Close(ctx)
		t.Fatal("server still accepts connections after Stop")
	}
}
