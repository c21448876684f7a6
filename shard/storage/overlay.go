package storage

import (
	"slices"
	"strings"
)

// BaseListOptions returns the options to list the backend with so that
// Overlay(b, base, opts) is exact. Only Limit changes: each key b deletes
// can hide one backend entry, so the backend must return that many more.
// A batch with DeleteAll needs no backend entries at all (need is false).
func BaseListOptions(b *Batch, opts ListOptions) (base ListOptions, need bool, err error) {
	r, err := opts.Range()
	if err != nil {
		return ListOptions{}, false, err
	}
	if b.deleteAll || r.Empty() {
		return ListOptions{}, false, nil
	}
	if opts.Limit > 0 {
		for key, w := range b.writes {
			if w.deleted && r.Contains(key) {
				opts.Limit++
			}
		}
	}
	return opts, true, nil
}

// Overlay merges b's writes over base, the backend's entries listed with
// BaseListOptions(b, opts), and returns what List(opts) reads once b
// commits: in order, deleted keys dropped, put keys added or replaced, at
// most opts.Limit entries. opts must be valid (see ListOptions.Range).
func Overlay(b *Batch, base []KV, opts ListOptions) []KV {
	r, err := opts.Range()
	if err != nil || r.Empty() {
		return nil
	}
	compare := func(a, b KV) int { return strings.Compare(a.Key, b.Key) }
	if opts.Reverse {
		compare = func(a, b KV) int { return strings.Compare(b.Key, a.Key) }
	}

	var puts []KV
	for key, w := range b.writes {
		if !w.deleted && r.Contains(key) {
			puts = append(puts, KV{Key: key, Value: w.value})
		}
	}
	slices.SortFunc(puts, compare)

	var kept []KV
	if !b.deleteAll {
		for _, kv := range base {
			if _, written := b.writes[kv.Key]; !written {
				kept = append(kept, kv)
			}
		}
	}
	return mergeSorted(kept, puts, compare, opts.Limit)
}

// mergeSorted merges two lists sorted by compare with no key in both, up to
// limit entries (all when limit is 0).
func mergeSorted(a, b []KV, compare func(a, b KV) int, limit int) []KV {
	out := make([]KV, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		if limit > 0 && len(out) == limit {
			break
		}
		if len(b) == 0 || (len(a) > 0 && compare(a[0], b[0]) < 0) {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}
