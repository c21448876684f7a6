package ring_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/roomshard/roomshard/cluster/ring"
	"github.com/roomshard/roomshard/cluster/roomid"
)

// shards names n nodes s1..sn.
func shards(n int) []ring.Node {
	out := make([]ring.Node, n)
	for i := range out {
		out[i] = ring.Node{Name: fmt.Sprintf("s%d", i+1), Addr: fmt.Sprintf("10.0.0.%d:7100", i+1)}
	}
	return out
}

// roomIDs returns n named room ids.
func roomIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = roomid.FromName("chat", fmt.Sprintf("room-%d", i))
	}
	return out
}

// owners maps each id to its owner's name.
func owners(r *ring.Ring, ids []string) map[string]string {
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		n, ok := r.Owner(id)
		if !ok {
			panic("empty ring")
		}
		out[id] = n.Name
	}
	return out
}

func TestSameMembersSameRing(t *testing.T) {
	a := ring.New(shards(3), 0)
	reversed := []ring.Node{shards(3)[2], shards(3)[0], shards(3)[1]}
	b := ring.New(reversed, 0)
	if a.Version() != b.Version() || a.Version() == 0 {
		t.Fatalf("versions %x and %x", a.Version(), b.Version())
	}
	ids := roomIDs(2000)
	oa, ob := owners(a, ids), owners(b, ids)
	for _, id := range ids {
		if oa[id] != ob[id] {
			t.Fatalf("%s: %s vs %s", id, oa[id], ob[id])
		}
	}

	// Addresses do not affect placement; names do.
	moved := shards(3)
	moved[0].Addr = "elsewhere:1"
	if c := ring.New(moved, 0); c.Version() != a.Version() {
		t.Error("an address change changed the version")
	}
	if d := ring.New(shards(4), 0); d.Version() == a.Version() {
		t.Error("a different node set has the same version")
	}
	// Duplicates keep the first entry.
	dup := append(shards(3), ring.Node{Name: "s1", Addr: "dup:1"})
	e := ring.New(dup, 0)
	if e.Len() != 3 || e.Version() != a.Version() || e.Nodes()[0].Addr != "10.0.0.1:7100" {
		t.Errorf("duplicates: %v", e.Nodes())
	}
	if !e.Has("s2") || e.Has("s9") {
		t.Error("Has")
	}
	if a.VersionString() != fmt.Sprintf("%016x", a.Version()) || len(a.VersionString()) != 16 {
		t.Errorf("VersionString %q", a.VersionString())
	}
}

func TestAddAndRemoveShard(t *testing.T) {
	ids := roomIDs(10000)
	three := ring.New(shards(3), 0)
	four := ring.New(shards(4), 0)
	before, after := owners(three, ids), owners(four, ids)
	moved := 0
	for _, id := range ids {
		if before[id] == after[id] {
			continue
		}
		moved++
		if after[id] != "s4" {
			t.Fatalf("%s moved from %s to %s, not to the new shard", id, before[id], after[id])
		}
	}
	frac := float64(moved) / float64(len(ids))
	t.Logf("adding a 4th shard moved %.1f%% of %d rooms", 100*frac, len(ids))
	if frac < 0.20 || frac > 0.30 {
		t.Errorf("moved %.3f of the rooms, want about 1/4", frac)
	}

	back := owners(ring.New(shards(3), 0), ids)
	for _, id := range ids {
		if back[id] != before[id] {
			t.Fatalf("%s: %s after removing s4, %s before adding it", id, back[id], before[id])
		}
	}
}

func TestShares(t *testing.T) {
	r := ring.New(shards(3), 256)
	if r.VirtualNodes() != 256 {
		t.Fatalf("vnodes %d", r.VirtualNodes())
	}
	shares := r.Shares()
	sum := 0.0
	mean := 1.0 / 3
	for name, s := range shares {
		sum += s
		t.Logf("%s owns %.1f%%", name, 100*s)
		if math.Abs(s-mean)/mean > 0.15 {
			t.Errorf("%s owns %.3f, more than 15%% off the mean %.3f", name, s, mean)
		}
	}
	if len(shares) != 3 || math.Abs(sum-1) > 1e-9 {
		t.Errorf("%d shares summing to %v", len(shares), sum)
	}

	// Shares predict placement: count where 30,000 rooms land.
	ids := roomIDs(30000)
	count := map[string]int{}
	for _, o := range owners(r, ids) {
		count[o]++
	}
	for name, s := range shares {
		if got := float64(count[name]) / float64(len(ids)); math.Abs(got-s) > 0.02 {
			t.Errorf("%s: share %.3f but %.3f of the rooms", name, s, got)
		}
	}
}

func TestEmptyRing(t *testing.T) {
	for name, r := range map[string]*ring.Ring{"no nodes": ring.New(nil, 0), "nil": nil, "zero": {}} {
		if _, ok := r.Owner(roomid.FromName("chat", "x")); ok {
			t.Errorf("%s: owner found", name)
		}
		if r.Version() != 0 || r.Len() != 0 || len(r.Shares()) != 0 || len(r.Nodes()) != 0 || r.Has("s1") {
			t.Errorf("%s: version %x len %d shares %v", name, r.Version(), r.Len(), r.Shares())
		}
	}
	if v := ring.New(nil, 0).VirtualNodes(); v != ring.DefaultVirtualNodes {
		t.Errorf("default vnodes %d", v)
	}
}

func TestSingleShardOwnsAll(t *testing.T) {
	r := ring.New(shards(1), 0)
	for _, id := range roomIDs(100) {
		if n, _ := r.Owner(id); n.Name != "s1" {
			t.Fatalf("%s on %s", id, n.Name)
		}
	}
	if s := r.Shares()["s1"]; math.Abs(s-1) > 1e-9 {
		t.Errorf("share %v", s)
	}
}

func TestKeyHash(t *testing.T) {
	id := roomid.FromName("chat", "x")
	if ring.KeyHash(id) != ring.KeyHash(id[:16]+"ignored") {
		t.Error("an id places by its first 16 hex digits")
	}
	if ring.KeyHash("not-hex-at-all-xyz") == ring.KeyHash("not-hex-at-all-xyy") {
		t.Error("other keys are hashed")
	}
	r := ring.New(shards(3), 0)
	if _, ok := r.Owner("short"); !ok {
		t.Error("a short key has no owner")
	}
}

func BenchmarkOwner(b *testing.B) {
	for _, n := range []int{3, 16, 64} {
		b.Run(fmt.Sprintf("shards=%d", n), func(b *testing.B) {
			r := ring.New(shards(n), 0)
			ids := roomIDs(1024)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				r.Owner(ids[i&1023])
			}
		})
	}
}

func BenchmarkNew(b *testing.B) {
	nodes := shards(16)
	for b.Loop() {
		ring.New(nodes, 0)
	}
}
