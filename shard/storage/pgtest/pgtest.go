package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
)

// shared is the server Main provides to every Start of a test binary. It
// is package state because TestMain and the tests meet nowhere else.
var shared struct {
	// protects every field
	mu      sync.Mutex
	enabled bool // inside Main
	server  *Server
	err     error // why the shared server could not start
}

// Main runs m with one server shared by every Start, started by the first
// Start that needs it and stopped when the tests end. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	shared.mu.Lock()
	shared.enabled = true
	shared.mu.Unlock()

	code := m.Run()

	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.server != nil {
		if err := shared.server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	shared.enabled, shared.server, shared.err = false, nil, nil
	return code
}

// Start returns the URL of a new, empty database for t, skipping t when
// PostgreSQL is not installed and failing it when the server cannot start.
func Start(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*startTimeout)
	defer cancel()
	server, err := serverFor(ctx, t)
	if errors.Is(err, ErrNoBinaries) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	url, err := server.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// serverFor returns the shared server under Main, else a server of t's own
// that t's cleanup stops.
func serverFor(ctx context.Context, t testing.TB) (*Server, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.enabled {
		server, err := StartServer(ctx, Options{})
		if err == nil {
			t.Cleanup(func() {
				if err := server.Stop(); err != nil {
					t.Error(err)
				}
			})
		}
		return server, err
	}
	if shared.server == nil && shared.err == nil {
		shared.server, shared.err = StartServer(ctx, Options{})
	}
	return shared.server, shared.err
}

// StartDurable is Start on a server of t's own with fsync on, for
// benchmarks that measure commit syncs.
func StartDurable(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*startTimeout)
	defer cancel()
	server, err := StartServer(ctx, Options{Durable: true})
	if errors.Is(err, ErrNoBinaries) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := server.Stop(); err != nil {
			t.Error(err)
		}
	})
	url, err := server.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return url
}
