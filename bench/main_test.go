package bench

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/roomshard/roomshard/bench/direct"
)

// testHubEnv makes the test binary act as a direct hub process (like
// "roomshard-bench serve") so process mode can be tested without building
// the command.
const testHubEnv = "ROOMSHARD_BENCH_TEST_HUB"

func TestMain(m *testing.M) {
	if os.Getenv(testHubEnv) == "1" {
		os.Exit(serveTestHub())
	}
	os.Exit(m.Run())
}

// serveTestHub serves on the address after "--addr" until SIGTERM.
func serveTestHub() int {
	addr := "127.0.0.1:0"
	for i, a := range os.Args {
		if a == "--addr" && i+1 < len(os.Args) {
			addr = os.Args[i+1]
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	srv, err := direct.Listen(addr, direct.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(srv.URL() + " test hub")
	<-ctx.Done()
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Close(cctx)
	return 0
}

// directProcEnv starts the direct hub as a child process for one test.
func directProcEnv(t *testing.T) Env {
	t.Helper()
	t.Setenv(testHubEnv, "1")
	d, env, err := StartDirect(context.Background(), TargetSpec{}, DirectOptions{Command: []string{os.Args[0]}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			t.Errorf("close hub process: %v", err)
		}
	})
	env.Logger = directEnv(t, "roomshard").Logger
	return env
}

func TestFailoverSmokeHubProcess(t *testing.T) {
	env := directProcEnv(t)
	oldPID := env.Processes[0].PID
	res, err := RunFailover(testCtx(t), env, FailoverConfig{
		Rooms: 3, Members: 3, Rate: 50, Warmup: 300 * time.Millisecond,
		Timeout: 10 * time.Second, After: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.Failover; f.RoomsRecovered != 3 || f.KillError != "" {
		t.Fatalf("failover %+v", f)
	}
	if got := res.Counters.TotalDisconnects(); got != 9 {
		t.Errorf("disconnects %v, want 9 (every socket of the killed process)", res.Counters.Disconnect)
	}
	if res.Processes[0].PID != oldPID || res.Processes[0].Error == "" {
		t.Errorf("the killed process should be reported unreadable: %+v", res.Processes[0])
	}
}
