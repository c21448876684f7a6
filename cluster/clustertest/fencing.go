package clustertest

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roomshard/roomshard/shard/storage/postgres"
)

// FencingAudit is the fencing checker. It watches a PostgreSQL database the
// shards share from inside the database: triggers record every row a shard
// writes for a room (data and alarms) and every change to a room's lease,
// each with the writing session's application_name (which names the shard,
// see postgres.ApplicationName), the lease row as the writing transaction
// sees it, and the database clock.
//
// Because the record is taken by the database, in the writing transaction,
// it does not trust the shards' own fencing code: a shard that committed
// without holding the room's current lease shows up as a write whose
// session is not the lease holder's, and two shards running one room at
// the same time show up as their writes interleaving.
type FencingAudit struct {
	url string
}

// auditSchema is installed after the shards' own schema exists. The lease
// row is locked by the commit transaction (FOR UPDATE) before it writes,
// and by AcquireLease's upsert, so for one room the audit rows' clock order
// is the order in which the database applied them.
var auditSchema = []string{
	`CREATE TABLE roomshard_audit_writes (
		id        bigserial PRIMARY KEY,
		room      bytea NOT NULL,
		tbl       text NOT NULL,
		session   text NOT NULL,
		holder    text,
		epoch     bigint,
		released  boolean,
		xid       bigint NOT NULL,
		at        timestamptz NOT NULL
	)`,
	`CREATE TABLE roomshard_audit_leases (
		id        bigserial PRIMARY KEY,
		room      bytea NOT NULL,
		session   text NOT NULL,
		holder    text NOT NULL,
		epoch     bigint NOT NULL,
		released  boolean NOT NULL,
		at        timestamptz NOT NULL
	)`,
	`CREATE FUNCTION roomshard_audit_write() RETURNS trigger LANGUAGE plpgsql AS $$
	DECLARE
		r bytea;
		l record;
	BEGIN
		IF TG_OP = 'DELETE' THEN r := OLD.room; ELSE r := NEW.room; END IF;
		SELECT holder, epoch, released INTO l FROM roomshard_leases WHERE room = r;
		INSERT INTO roomshard_audit_writes (room, tbl, session, holder, epoch, released, xid, at)
		VALUES (r, TG_TABLE_NAME, current_setting('application_name'), l.holder, l.epoch, l.released,
			txid_current(), clock_timestamp());
		RETURN NULL;
	END $$`,
	`CREATE FUNCTION roomshard_audit_lease() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO roomshard_audit_leases (room, session, holder, epoch, released, at)
		VALUES (NEW.room, current_setting('application_name'), NEW.holder, NEW.epoch, NEW.released,
			clock_timestamp());
		RETURN NULL;
	END $$`,
	`CREATE TRIGGER roomshard_audit_kv AFTER INSERT OR UPDATE OR DELETE ON roomshard_kv
		FOR EACH ROW EXECUTE FUNCTION roomshard_audit_write()`,
	`CREATE TRIGGER roomshard_audit_alarms AFTER INSERT OR UPDATE OR DELETE ON roomshard_alarms
		FOR EACH ROW EXECUTE FUNCTION roomshard_audit_write()`,
	`CREATE TRIGGER roomshard_audit_leases AFTER INSERT OR UPDATE ON roomshard_leases
		FOR EACH ROW EXECUTE FUNCTION roomshard_audit_lease()`,
}

// AuditFencing creates roomshard's schema in the database at url (as a
// shard would) and installs the checker's triggers. Call it before any
// shard uses the database.
func AuditFencing(t testing.TB, url string) *FencingAudit {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store, err := postgres.Open(ctx, postgres.Config{URL: url})
	if err != nil {
		t.Fatalf("fencing audit: creating the schema: %v", err)
	}
	_ = store.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("fencing audit: %v", err)
	}
	defer conn.Close(ctx)
	for _, stmt := range auditSchema {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("fencing audit: installing: %v", err)
		}
	}
	return &FencingAudit{url: url}
}

// FencingReport is what the checker found.
type FencingReport struct {
	Writes     int // rows written for rooms
	Txns       int // transactions that wrote them (group commit puts several rooms' commits in one)
	Rooms      int // rooms written to
	Grants     int // leases granted
	Handovers  int // grants to a shard other than the previous holder
	Violations []string
}

func (r FencingReport) String() string {
	return fmt.Sprintf("%d transactions (%d rows) in %d rooms, %d leases granted, %d handovers between shards, %d violations",
		r.Txns, r.Writes, r.Rooms, r.Grants, r.Handovers, len(r.Violations))
}

type auditWrite struct {
	room, session, holder string
	epoch                 int64
	held, released        bool
	xid                   int64
	at                    time.Time
}

type auditGrant struct {
	room, holder string
	epoch        int64
	at           time.Time
}

// Check reads what the triggers recorded and checks, for every room:
//
//   - every write was made by the shard holding the room's lease, under a
//     lease not released (no commit by a non-owner);
//   - in the order the database applied them, the writes' epochs never go
//     down, and no write under an epoch follows the grant of a later one
//     (the shards' tenures, from a grant to the last write under it, never
//     overlap: no two shards ran the room at the same time).
func (a *FencingAudit) Check(t testing.TB) FencingReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, a.url)
	if err != nil {
		t.Fatalf("fencing audit: %v", err)
	}
	defer conn.Close(ctx)

	rows, _ := conn.Query(ctx, `SELECT convert_from(room, 'UTF8'), session, holder, epoch, released, xid, at
		FROM roomshard_audit_writes ORDER BY at, id`)
	var writes []auditWrite
	var w auditWrite
	var holder *string
	var epoch *int64
	var released *bool
	if _, err := pgx.ForEachRow(rows, []any{&w.room, &w.session, &holder, &epoch, &released, &w.xid, &w.at}, func() error {
		w.held = holder != nil
		w.holder, w.epoch, w.released = "", 0, false
		if w.held {
			w.holder, w.epoch, w.released = *holder, *epoch, *released
		}
		writes = append(writes, w)
		return nil
	}); err != nil {
		t.Fatalf("fencing audit: reading writes: %v", err)
	}
	rows, _ = conn.Query(ctx, `SELECT convert_from(room, 'UTF8'), holder, epoch, at
		FROM roomshard_audit_leases WHERE NOT released ORDER BY at, id`)
	var grants []auditGrant
	var g auditGrant
	if _, err := pgx.ForEachRow(rows, []any{&g.room, &g.holder, &g.epoch, &g.at}, func() error {
		grants = append(grants, g)
		return nil
	}); err != nil {
		t.Fatalf("fencing audit: reading leases: %v", err)
	}
	return checkFencing(writes, grants)
}

// checkFencing is Check on rows read, each slice in the order the database
// applied them.
func checkFencing(writes []auditWrite, grants []auditGrant) FencingReport {
	var rep FencingReport
	violate := func(format string, args ...any) {
		if len(rep.Violations) < 50 {
			rep.Violations = append(rep.Violations, fmt.Sprintf(format, args...))
		}
	}
	byRoom := map[string][]auditGrant{}
	for _, g := range grants {
		prev := byRoom[g.room]
		if n := len(prev); n > 0 {
			if g.epoch <= prev[n-1].epoch {
				violate("room %s: epoch %d granted to %s after epoch %d", short(g.room), g.epoch, g.holder, prev[n-1].epoch)
			}
			if g.holder != prev[n-1].holder {
				rep.Handovers++
			}
		}
		byRoom[g.room] = append(prev, g)
		rep.Grants++
	}
	xids := map[int64]bool{}
	lastEpoch := map[string]int64{}
	for _, w := range writes {
		rep.Writes++
		xids[w.xid] = true
		switch {
		case !w.held:
			violate("room %s: %q wrote with no lease on the room", short(w.room), w.session)
			continue
		case w.released:
			violate("room %s: %q wrote under epoch %d of %s, already released", short(w.room), w.session, w.epoch, w.holder)
		case w.session != postgres.ApplicationName(w.holder):
			violate("room %s: %q wrote while %s held the lease (epoch %d)", short(w.room), w.session, w.holder, w.epoch)
		}
		if w.epoch < lastEpoch[w.room] {
			violate("room %s: a write under epoch %d by %q after one under epoch %d", short(w.room), w.epoch, w.session, lastEpoch[w.room])
		}
		lastEpoch[w.room] = max(lastEpoch[w.room], w.epoch)
		// The first grant of a later epoch must come after this write.
		gs := byRoom[w.room]
		i := sort.Search(len(gs), func(i int) bool { return gs[i].epoch > w.epoch })
		if i < len(gs) && gs[i].at.Before(w.at) {
			violate("room %s: %q wrote under epoch %d at %s, after epoch %d was granted to %s at %s",
				short(w.room), w.session, w.epoch, w.at.Format("15:04:05.000000"), gs[i].epoch, gs[i].holder, gs[i].at.Format("15:04:05.000000"))
		}
	}
	rep.Txns = len(xids)
	rep.Rooms = len(lastEpoch)
	return rep
}

// short abbreviates a room id for messages.
func short(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	return id
}
