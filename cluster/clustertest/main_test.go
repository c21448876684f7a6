package clustertest_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/roomshard/roomshard/cluster/clustertest"
	"github.com/roomshard/roomshard/shard/storage/pgtest"
)

// bins are the real binaries, built once for every test in this package.
var bins clustertest.Binaries

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "roomshard-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bins, err = clustertest.Build(dir, raceEnabled)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// One PostgreSQL server for every test that asks pgtest.Start for a
	// database; started by the first such test, skipped without binaries.
	return pgtest.Main(m)
}
