package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/roomshard/roomshard/shard/storage"
)

// roomID returns a 64-hex room id, like real ones, unique per test and label.
func roomID(t testing.TB, label string) string {
	sum := sha256.Sum256([]byte(t.Name() + "\x00" + label))
	return hex.EncodeToString(sum[:])
}

// ctxFor returns the context for t's storage calls, ended with t.
func ctxFor(t testing.TB) context.Context { return t.Context() }

// acquire takes a lease on room for holder or fails the test.
func acquire(t testing.TB, b storage.Backend, room, holder string) storage.Lease {
	t.Helper()
	lease, err := b.AcquireLease(ctxFor(t), room, holder)
	if err != nil {
		t.Fatalf("AcquireLease(%s, %s): %v", room, holder, err)
	}
	return lease
}

// commit builds a batch with fill and commits it under lease, failing the
// test on error.
func commit(t testing.TB, b storage.Backend, lease storage.Lease, fill func(*storage.Batch) error) {
	t.Helper()
	var batch storage.Batch
	if err := fill(&batch); err != nil {
		t.Fatalf("building batch: %v", err)
	}
	if err := b.Commit(ctxFor(t), lease, &batch); err != nil {
		t.Fatalf("Commit(%s): %v", lease.Room, err)
	}
}

// puts returns a batch filler that puts every entry of kvs.
func puts(kvs map[string]string) func(*storage.Batch) error {
	return func(batch *storage.Batch) error {
		for k, v := range kvs {
			if err := batch.Put(k, []byte(v)); err != nil {
				return err
			}
		}
		return nil
	}
}

func mustGet(t testing.TB, r storage.Reader, room, key string) ([]byte, bool) {
	t.Helper()
	v, found, err := r.Get(ctxFor(t), room, key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return v, found
}

func wantValue(t testing.TB, r storage.Reader, room, key, want string) {
	t.Helper()
	got, found := mustGet(t, r, room, key)
	if !found {
		t.Fatalf("Get(%q): not found, want %q", key, want)
	}
	if string(got) != want {
		t.Fatalf("Get(%q) = %q, want %q", key, got, want)
	}
}

func wantMissing(t testing.TB, r storage.Reader, room, key string) {
	t.Helper()
	if got, found := mustGet(t, r, room, key); found {
		t.Fatalf("Get(%q) = %q, want not found", key, got)
	}
}

// listAll returns every entry of room as key -> value.
func listAll(t testing.TB, r storage.Reader, room string) map[string]string {
	t.Helper()
	kvs, err := r.List(ctxFor(t), room, storage.ListOptions{})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		out[kv.Key] = string(kv.Value)
	}
	return out
}

// model is the reference a backend is checked against.
type model map[string][]byte

// list is ListOptions' meaning written as plainly as possible, independent
// of storage.KeyRange.
func (m model) list(opts storage.ListOptions) []storage.KV {
	var out []storage.KV
	for k, v := range m {
		switch {
		case !strings.HasPrefix(k, opts.Prefix):
		case opts.Start != "" && k < opts.Start:
		case opts.StartAfter != "" && k <= opts.StartAfter:
		case opts.End != "" && k >= opts.End:
		default:
			out = append(out, storage.KV{Key: k, Value: v})
		}
	}
	slices.SortFunc(out, func(a, b storage.KV) int { return strings.Compare(a.Key, b.Key) })
	if opts.Reverse {
		slices.Reverse(out)
	}
	if opts.Limit > 0 && len(out) > opts.Limit {
		out = out[:opts.Limit]
	}
	return out
}

func sameKVs(a, b []storage.KV) bool {
	return slices.EqualFunc(a, b, func(x, y storage.KV) bool {
		return x.Key == y.Key && bytes.Equal(x.Value, y.Value)
	})
}

func formatKVs(kvs []storage.KV) string {
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		parts[i] = fmt.Sprintf("%q=%q", kv.Key, kv.Value)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// listGrid returns ListOptions covering every combination of interesting
// prefixes, starts, ends, directions and limits over listKeys.
func listGrid() []storage.ListOptions {
	prefixes := []string{"", "a", "ab", "x\xff", "q"}
	starts := []storage.ListOptions{{}, {Start: "a"}, {Start: "ab"}, {Start: "b"}, {Start: "zz"},
		{StartAfter: "a"}, {StartAfter: "abc"}, {StartAfter: "\x00"}}
	ends := []string{"", "b", "abc", "x\xff\xff", "a"}
	limits := []int{0, 1, 2, 100}
	var grid []storage.ListOptions
	for _, prefix := range prefixes {
		for _, start := range starts {
			for _, end := range ends {
				for _, reverse := range []bool{false, true} {
					for _, limit := range limits {
						grid = append(grid, storage.ListOptions{Prefix: prefix, Start: start.Start,
							StartAfter: start.StartAfter, End: end, Reverse: reverse, Limit: limit})
					}
				}
			}
		}
	}
	return grid
}

// listKeys returns keys chosen to sit on the edges of listGrid's bounds,
// including bytes 0x00 and 0xff and multi-byte UTF-8.
func listKeys() []string {
	return []string{"\x00k", "a", "aa", "ab", "abc", "abd", "b", "ba", "c",
		"x\xff", "x\xff\xff", "x\xff\xffz", "y", "z", "é", "€"}
}
