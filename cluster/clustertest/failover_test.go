package clustertest_test

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/clustertest"
)

// failoverBound is what the tests assert for "served again after a shard
// died": generous, since CI machines are small and run -race. The target
// (p99 2 s, at most 3 s) is measured and logged, not asserted.
const failoverBound = 10 * time.Second

// TestFailover runs counter rooms under continuous load through two
// gateways while shards die, come back and stall: clients never see a
// disconnect, every room is served again within failoverBound, and no
// acknowledged increment is lost or acknowledged twice.
func TestFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process failover test; skipped with -short")
	}
	w, storage := durableWorkload(t)
	c := clustertest.StartCluster(t, bins, clustertest.Options{Shards: 3, Gateways: 2, ShardArgs: []string{"--storage", storage}})
	waitForMembers(t, c, 5)
	admin := adminClient(t, c.Gateways[0].GRPC)

	l := startLoad(t, w.workload, c.Gateways, loadOptions{rooms: 50, clients: 200, pace: 150 * time.Millisecond, replyTimeout: 2 * time.Second})
	l.waitAcks(t, 3, 60*time.Second)

	t.Run("SIGKILL a shard", func(t *testing.T) {
		victim := c.Shards[1]
		rooms := roomsOwnedBy(t, admin, w.namespace, l.rooms, victim.Name)
		at := time.Now()
		victim.Kill()
		l.waitAcks(t, 2, failoverBound+5*time.Second)
		reportServedAgain(t, "SIGKILL", l.servedAgain(rooms, at), len(rooms))
	})

	t.Run("restart under the same name on new ports", func(t *testing.T) {
		old := c.Shards[1]
		at := time.Now()
		c.Shards[1] = clustertest.Start(t, bins, clustertest.Spec{Role: clustertest.RoleShard, Name: old.Name,
			Join: []string{c.SeedGossip()}, Args: []string{"--storage", storage}})
		waitOnRing(t, c, old.Name, true, 10*time.Second)
		t.Logf("%s rejoined every ring %v after its restart began", old.Name, time.Since(at).Round(time.Millisecond))
		l.waitAcks(t, 2, failoverBound)
	})

	t.Run("SIGSTOP a shard for 15s", func(t *testing.T) {
		victim := c.Shards[2]
		rooms := roomsOwnedBy(t, admin, w.namespace, l.rooms, victim.Name)
		at := time.Now()
		victim.Signal(syscall.SIGSTOP)
		resumed := false
		resume := func() {
			if !resumed {
				resumed = true
				victim.Signal(syscall.SIGCONT)
			}
		}
		t.Cleanup(resume)
		l.waitAcks(t, 2, failoverBound+5*time.Second)
		reportServedAgain(t, "SIGSTOP", l.servedAgain(rooms, at), len(rooms))
		time.Sleep(time.Until(at.Add(15 * time.Second))) // the scenario's pause, not a wait for a condition
		resume()
		waitOnRing(t, c, victim.Name, true, 15*time.Second)
		l.waitAcks(t, 2, failoverBound)
	})

	t.Run("drain a shard", func(t *testing.T) {
		victim := c.Shards[0]
		resp, err := admin.DrainShard(callCtx(t), &roomshardv1.DrainShardRequest{Shard: victim.Name})
		if err != nil {
			t.Fatalf("DrainShard: %v", err)
		}
		t.Logf("draining %s with %d rooms", victim.Name, resp.GetRooms())
		exited, err := victim.Wait(20 * time.Second)
		if !exited {
			t.Fatalf("%s did not exit after its drain", victim.Name)
		}
		if err != nil {
			t.Errorf("%s exited with %v after its drain, want status 0", victim.Name, err)
		}
		l.waitAcks(t, 2, failoverBound)
	})

	l.stop()
	if p := l.problems(); len(p) > 0 {
		t.Fatalf("%d client disconnects or bad replies, first: %s", len(p), strings.Join(p[:min(len(p), 5)], "; "))
	}
	t.Logf("%d increments acknowledged", l.totalAcks())
	w.check(t, l, c.Gateways[1])
}

// roomsOwnedBy lists the rooms the ring gives to shard.
func roomsOwnedBy(t *testing.T, admin roomshardv1.AdminServiceClient, namespace string, rooms []string, shard string) []string {
	t.Helper()
	var out []string
	for _, r := range rooms {
		resp, err := admin.LocateRoom(callCtx(t), &roomshardv1.LocateRoomRequest{Namespace: namespace, Name: r})
		if err != nil {
			t.Fatalf("LocateRoom %s: %v", r, err)
		}
		if resp.GetOwner() == shard {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no room of the load is owned by %s", shard)
	}
	return out
}

// reportServedAgain logs the time-to-serve-again figures and asserts the
// generous bound.
func reportServedAgain(t *testing.T, what string, d []time.Duration, rooms int) {
	t.Helper()
	if len(d) < rooms {
		t.Errorf("%s: only %d of %d rooms served again", what, len(d), rooms)
	}
	p50, p99 := percentile(d, 50), percentile(d, 99)
	t.Logf("FAILOVER %s: %d rooms served again after p50 %v, p99 %v, max %v", what, len(d),
		p50.Round(time.Millisecond), p99.Round(time.Millisecond), percentile(d, 100).Round(time.Millisecond))
	if p99 > failoverBound {
		t.Errorf("%s: p99 time to serve again %v > %v", what, p99, failoverBound)
	}
}

// waitOnRing waits until every live process's ring has (or lacks) shard.
func waitOnRing(t *testing.T, c *clustertest.Cluster, shard string, want bool, total time.Duration) {
	t.Helper()
	for _, p := range append(append([]*clustertest.Proc{}, c.Shards...), c.Gateways...) {
		if p.Exited() {
			continue
		}
		admin := adminClient(t, p.GRPC)
		clustertest.Eventually(t, total, 50*time.Millisecond, func() error {
			resp, err := admin.GetRing(callCtx(t), &roomshardv1.GetRingRequest{})
			if err != nil {
				return err
			}
			has := false
			for _, n := range resp.GetShards() {
				has = has || n.GetName() == shard
			}
			if has != want {
				return fmt.Errorf("%s: %s on the ring = %v", p.Name, shard, has)
			}
			return nil
		})
	}
}
