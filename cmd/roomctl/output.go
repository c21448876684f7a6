package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/ring"
)

// jsonLine writes m as one line of protojson, zero fields included.
func jsonLine(w io.Writer, m proto.Message) error {
	b, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding JSON: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// newTable returns a tabwriter for aligned columns; call Flush when done.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// row writes tab-separated cells and a newline.
func row(w io.Writer, cells ...any) {
	for i, c := range cells {
		if i > 0 {
			fmt.Fprint(w, "\t")
		}
		fmt.Fprint(w, c)
	}
	fmt.Fprintln(w)
}

// roleWord is a role as a lowercase word.
func roleWord(r roomshardv1.Role) string {
	switch r {
	case roomshardv1.Role_ROLE_SHARD:
		return "shard"
	case roomshardv1.Role_ROLE_GATEWAY:
		return "gateway"
	}
	return "unknown"
}

// stateWord is a member state as a lowercase word.
func stateWord(s roomshardv1.MemberState) string {
	switch s {
	case roomshardv1.MemberState_MEMBER_STATE_ACTIVE:
		return "active"
	case roomshardv1.MemberState_MEMBER_STATE_DRAINING:
		return "draining"
	}
	return "unknown"
}

// orDash shows "-" for an empty cell.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// list joins items with commas, "-" when there are none.
func list(items []string) string { return orDash(strings.Join(items, ",")) }

// version formats a ring version as the admin API shows it.
func version(v uint64) string { return ring.FormatVersion(v) }

// unixMs formats a Unix-millisecond time, "-" for 0.
func unixMs(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}
