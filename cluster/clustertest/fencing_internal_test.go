package clustertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roomshard/roomshard/cluster/roomid"
	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/pgtest"
	"github.com/roomshard/roomshard/shard/storage/postgres"
)

// TestFencingAuditSeesRealCommits runs the checker's triggers on a real
// database: fenced commits by two shards in turn pass, and a write behind
// the lease holder's back, or one under an older epoch after a newer one
// was granted, is reported.
func TestFencingAuditSeesRealCommits(t *testing.T) {
	url := pgtest.Start(t)
	audit := AuditFencing(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	open := func(node string) *postgres.Store {
		s, err := postgres.Open(ctx, postgres.Config{URL: url, Node: node})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	s1, s2 := open("s1"), open("s2")
	room := roomid.FromName("counter", "audited")
	commit := func(s *postgres.Store, lease storage.Lease, value string) error {
		var b storage.Batch
		if err := b.Put("n", []byte(value)); err != nil {
			t.Fatal(err)
		}
		return s.Commit(ctx, lease, &b)
	}
	l1, err := s1.AcquireLease(ctx, room, "s1")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1", "2"} {
		if err := commit(s1, l1, v); err != nil {
			t.Fatal(err)
		}
	}
	l2, err := s2.AcquireLease(ctx, room, "s2")
	if err != nil {
		t.Fatal(err)
	}
	if err := commit(s1, l1, "stale"); err == nil {
		t.Fatal("a commit under a superseded lease succeeded")
	}
	if err := commit(s2, l2, "3"); err != nil {
		t.Fatal(err)
	}
	rep := audit.Check(t)
	if len(rep.Violations) > 0 || rep.Txns != 3 || rep.Grants != 2 || rep.Handovers != 1 || rep.Rooms != 1 {
		t.Fatalf("clean history: %v %q; want 3 transactions, 2 grants, 1 handover, no violation", rep, rep.Violations)
	}

	// A write that skips the lease check, as a shard with broken fencing
	// would make: s1's session writes while s2 holds the room.
	conn, err := pgx.ConnectConfig(ctx, mustParse(t, url, postgres.ApplicationName("s1")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE roomshard_kv SET value = 'rogue' WHERE room = $1`, []byte(room)); err != nil {
		t.Fatal(err)
	}
	rep = audit.Check(t)
	if len(rep.Violations) != 1 || !strings.Contains(rep.Violations[0], `"roomshard shard s1" wrote while s2 held the lease`) {
		t.Fatalf("after a rogue write: %q; want one violation naming s1 and s2", rep.Violations)
	}
}

func mustParse(t *testing.T, url, app string) *pgx.ConnConfig {
	t.Helper()
	c, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	c.RuntimeParams["application_name"] = app
	return c
}

// TestCheckFencingFindsOverlaps: the checker's rules on hand-made
// histories, one per kind of violation.
func TestCheckFencingFindsOverlaps(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	grants := []auditGrant{{"r", "s1", 1, at(0)}, {"r", "s2", 2, at(10)}}
	w := func(session, holder string, epoch int64, ms int, xid int64) auditWrite {
		return auditWrite{room: "r", session: postgres.ApplicationName(session), holder: holder, epoch: epoch, held: true, xid: xid, at: at(ms)}
	}
	for _, tc := range []struct {
		name   string
		writes []auditWrite
		want   string // "" for none
	}{
		{"serial tenures", []auditWrite{w("s1", "s1", 1, 5, 1), w("s2", "s2", 2, 15, 2)}, ""},
		{"write by a non-holder", []auditWrite{w("s1", "s2", 2, 15, 1)}, "wrote while s2 held the lease"},
		{"old epoch after a newer grant", []auditWrite{w("s1", "s1", 1, 12, 1)}, "after epoch 2 was granted to s2"},
		{"epochs going down", []auditWrite{w("s2", "s2", 2, 15, 1), w("s1", "s1", 1, 16, 2)}, "after one under epoch 2"},
		{"write without a lease", []auditWrite{{room: "r", session: "x", xid: 1, at: at(1)}}, "with no lease"},
		{"write under a released lease", []auditWrite{{room: "r", session: postgres.ApplicationName("s1"), holder: "s1", epoch: 1, held: true, released: true, xid: 1, at: at(5)}}, "already released"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := checkFencing(tc.writes, grants)
			if tc.want == "" {
				if len(rep.Violations) > 0 {
					t.Fatalf("violations %q, want none", rep.Violations)
				}
				return
			}
			if len(rep.Violations) == 0 || !strings.Contains(strings.Join(rep.Violations, "\n"), tc.want) {
				t.Fatalf("violations %q, want one containing %q", rep.Violations, tc.want)
			}
		})
	}
	if rep := checkFencing(nil, append(grants, auditGrant{"r", "s3", 2, at(20)})); len(rep.Violations) != 1 {
		t.Errorf("an epoch granted twice: violations %q, want 1", rep.Violations)
	}
}
