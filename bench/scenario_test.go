package bench

import (
	"context"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/roomshard/roomshard/bench/direct"
)

// directEnv starts the direct hub for one test and returns an Env for it.
func directEnv(t *testing.T, kind string) Env {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, env, err := StartDirect(context.Background(), TargetSpec{Kind: kind}, DirectOptions{Hub: direct.Config{Logger: logger}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = d.Close(ctx)
	})
	env.Logger = logger
	return env
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func checkClean(t *testing.T, r *Result) {
	t.Helper()
	if n := r.Counters.TotalErrors(); n != 0 {
		t.Errorf("errors: %v", r.Counters.Errors)
	}
	if n := r.Counters.TotalDisconnects(); n != 0 && r.Scenario != "failover" {
		t.Errorf("disconnects: %v", r.Counters.Disconnect)
	}
	if len(r.Processes) != 1 || r.Processes[0].LoadedBytes <= 0 {
		t.Errorf("processes: %+v", r.Processes)
	}
}

func TestEchoSmoke(t *testing.T) {
	for _, kind := range []string{"roomshard", "plain"} {
		t.Run(kind, func(t *testing.T) {
			res, err := RunEcho(testCtx(t), directEnv(t, kind), EchoConfig{Clients: 20, Rooms: 5, Duration: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			checkClean(t, res)
			if res.Connect.Established != 20 || res.Counters.Sent == 0 {
				t.Fatalf("connect %+v counters %+v", res.Connect, res.Counters)
			}
			// Every reply but the ones in flight at the end arrived.
			if d, s := res.Counters.Delivered, res.Counters.Sent; d > s || s-d > 20 {
				t.Errorf("sent %d delivered %d", s, d)
			}
			if res.Latency == nil || res.Latency.Count != res.Counters.Delivered {
				t.Errorf("latency %+v", res.Latency)
			}
		})
	}
}

func TestEchoPacedSmoke(t *testing.T) {
	res, err := RunEcho(testCtx(t), directEnv(t, "roomshard"), EchoConfig{Clients: 10, Duration: 300 * time.Millisecond, Rate: 200})
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, res)
	// An open loop waits for the replies in flight at the end.
	if s, d := res.Counters.Sent, res.Counters.Delivered; s == 0 || d != s {
		t.Errorf("sent %d delivered %d", s, d)
	}
	if res.Latency == nil || res.Latency.Count != res.Counters.Delivered {
		t.Errorf("latency %+v", res.Latency)
	}
}

func TestFanoutSmoke(t *testing.T) {
	res, err := RunFanout(testCtx(t), directEnv(t, "roomshard"), FanoutConfig{
		Sizes: []int{5, 20}, StartDeliveries: 200, Factor: 2, Refine: -1, NoRetry: true,
		Step: 150 * time.Millisecond, Drain: 5 * time.Second, Budget: 1200 * time.Millisecond,
		P99: time.Hour, MaxRate: 100,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, res)
	if len(res.Fanout) != 2 {
		t.Fatalf("fanout sizes: %+v", res.Fanout)
	}
	for _, f := range res.Fanout {
		if f.Error != "" || len(f.Steps) == 0 {
			t.Fatalf("size %d: %+v", f.Members, f)
		}
		for _, st := range f.Steps {
			// Roomshard texts: 2 frames per message at each other member.
			// (Pass depends on the machine's speed, so it is not asserted.)
			want := uint64(math.Round(st.Rate * 0.15))
			if st.Sent != want || st.Expected != st.Sent*uint64(2*(f.Members-1)) || st.Delivered != st.Expected || st.Latency.Count != st.Delivered {
				t.Errorf("size %d step %+v", f.Members, st)
			}
		}
	}
}

func TestIdleSmokeWithWorkers(t *testing.T) {
	env := directEnv(t, "roomshard")
	env.Spawn = InProcessSpawner(env.Logger)
	res, err := RunIdle(testCtx(t), env, IdleConfig{
		Conns: 40, Rooms: 8, Procs: 3, Settle: 50 * time.Millisecond, Idle: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, res)
	if res.Connect.Established != 40 || res.Idle.Workers != 3 {
		t.Fatalf("connect %+v idle %+v", res.Connect, res.Idle)
	}
	if p := res.Idle.Probe; p == nil || p.RoomsOK != 8 || p.Delivered != p.Expected || p.Expected != 8*4*2 {
		t.Fatalf("probe %+v", res.Idle.Probe)
	}
	if res.Processes[0].PerConnBytes == 0 && res.Processes[0].LoadedBytes != res.Processes[0].BeforeBytes {
		t.Errorf("per-conn RSS not computed: %+v", res.Processes[0])
	}
}

func TestFailoverSmoke(t *testing.T) {
	res, err := RunFailover(testCtx(t), directEnv(t, "roomshard"), FailoverConfig{
		Rooms: 4, Members: 3, Rate: 50, Warmup: 300 * time.Millisecond,
		Timeout: 10 * time.Second, After: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Failover
	if f.RoomsRecovered != 4 || f.AllRecoveredMs <= 0 || f.KillError != "" {
		t.Fatalf("failover %+v", f)
	}
	// The direct hub's "crash" resets all 12 sockets; each reconnects.
	if got := res.Counters.Disconnect["1006"]; got != 12 || res.Counters.Reconnects < 12 {
		t.Errorf("disconnects %v reconnects %d", res.Counters.Disconnect, res.Counters.Reconnects)
	}
	if res.Counters.Delivered == 0 || f.LatencyBefore == nil {
		t.Errorf("counters %+v", res.Counters)
	}
}

func TestFailoverNeedsKill(t *testing.T) {
	env := directEnv(t, "roomshard")
	env.Kill = nil
	if _, err := RunFailover(testCtx(t), env, FailoverConfig{}); err == nil {
		t.Fatal("no error without a kill action")
	}
}

func TestCompareRatios(t *testing.T) {
	d := &Result{Scenario: "echo", DeliveredPerSec: 1000, Latency: &LatencySummary{P50Ms: 1, P99Ms: 2, P999Ms: 4}}
	g := &Result{Scenario: "echo", DeliveredPerSec: 250, Latency: &LatencySummary{P50Ms: 3, P99Ms: 8, P999Ms: 4}}
	c := Compare(d, g)
	want := map[string]float64{"messages/s (round trips)": 0.25, "p50 ms": 3, "p99 ms": 4, "p99.9 ms": 1}
	for _, r := range c.Ratios {
		if w, ok := want[r.Metric]; ok && r.Ratio != w {
			t.Errorf("%s ratio %v, want %v", r.Metric, r.Ratio, w)
		}
	}
}

func TestNearestRank(t *testing.T) {
	var ten, hundred []float64
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, float64(i))
		if i <= 10 {
			ten = append(ten, float64(i))
		}
	}
	for _, tc := range []struct {
		sorted []float64
		pct    int
		want   float64
	}{
		{ten, 90, 9}, {ten, 99, 10}, {ten, 50, 5},
		{hundred, 99, 99}, {hundred, 90, 90}, {hundred, 100, 100},
		{[]float64{7}, 99, 7},
	} {
		if got := nearestRank(tc.sorted, tc.pct); got != tc.want {
			t.Errorf("nearestRank(%d values, %d) = %v, want %v", len(tc.sorted), tc.pct, got, tc.want)
		}
	}
}
