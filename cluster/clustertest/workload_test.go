package clustertest_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/roomshard/roomshard/cluster/clustertest"
	"github.com/roomshard/roomshard/shard"
	"github.com/roomshard/roomshard/shard/builtin"
	"github.com/roomshard/roomshard/shard/storage/pgtest"
)

// durableWorkload picks the fault tests' workload: counter rooms on a fresh
// PostgreSQL database shared by every shard, watched by the fencing
// checker, whose final values are read back with get. Without the counter
// class it falls back to echo rooms on memory storage, which checks
// routing and disconnects but not durability.
func durableWorkload(t *testing.T) (durable, string) {
	t.Helper()
	if !slices.ContainsFunc(builtin.All(), func(c shard.Class) bool { return c.Name == "counter" }) {
		t.Log("no counter class in this build: echo rooms on memory storage")
		return durable{workload: echoWorkload}, "memory"
	}
	url := pgtest.Start(t)
	return durable{workload: counterWorkload, final: counterFinal, audit: clustertest.AuditFencing(t, url)}, url
}

// durable is a workload and, when it keeps durable state, how to read each
// room's final value and the fencing checker watching its storage.
type durable struct {
	workload
	final func(t *testing.T, g *clustertest.Proc, rooms []string) map[string]int64
	audit *clustertest.FencingAudit
}

// check runs the durable checks once the load stopped: every acknowledged
// increment is in the final values (read through g), none twice, and the
// fencing checker finds no commit by a non-owner and no two shards running
// a room at the same time.
func (w durable) check(t *testing.T, l *load, g *clustertest.Proc) {
	t.Helper()
	if w.final == nil {
		return
	}
	l.checkCounters(t, w.final(t, g, l.rooms))
	rep := w.audit.Check(t)
	t.Logf("FENCING: %v", rep)
	if len(rep.Violations) > 0 {
		t.Errorf("fencing checker: %d violations, first:\n%s", len(rep.Violations), strings.Join(rep.Violations[:min(len(rep.Violations), 10)], "\n"))
	}
	if rep.Writes < l.totalAcks() {
		t.Errorf("fencing checker saw %d rows written for %d acknowledged increments: the audit is not watching", rep.Writes, l.totalAcks())
	}
}

// echoWorkload sends numbered messages to echo rooms.
var echoWorkload = workload{
	namespace: "echo",
	request:   func(seq int64) string { return "incr " + strconv.FormatInt(seq, 10) },
	value: func(reply string) (int64, bool) {
		v, err := strconv.ParseInt(strings.TrimPrefix(reply, "[Durable Object]: incr "), 10, 64)
		return v, err == nil
	},
}

// counterFinal reads each counter room's value with get.
func counterFinal(t *testing.T, g *clustertest.Proc, rooms []string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, r := range rooms {
		c := dial(t, g.HTTP, "/ns/counter/rooms/"+r+"/websocket")
		send(t, c, "get")
		reply := read(t, c)
		v, err := strconv.ParseInt(reply, 10, 64)
		if err != nil {
			t.Errorf("room %s: get replied %q", r, reply)
			continue
		}
		out[r] = v
		_ = c.Close()
	}
	return out
}
