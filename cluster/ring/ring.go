package ring

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/cespare/xxhash/v2"
)

// DefaultVirtualNodes is the number of points each node gets on the ring.
// 256 keeps the largest node's share within a few percent of the mean for
// small clusters while a lookup stays a short binary search.
const DefaultVirtualNodes = 256

// Node is one shard on the ring.
type Node struct {
	// Name is the node's unique cluster name; placement depends only on it.
	Name string
	// Addr is where the node serves gRPC. It does not affect placement.
	Addr string
}

// Ring maps keys to nodes. The zero value and a Ring with no nodes own
// nothing.
type Ring struct {
	points  []uint64 // sorted hash points
	owners  []int32  // owners[i] is the index in nodes of points[i]
	nodes   []Node   // sorted by name
	vnodes  int
	version uint64
}

// New builds a ring over nodes with vnodes points per node (DefaultVirtualNodes
// when vnodes <= 0). Duplicate names keep the first entry.
func New(nodes []Node, vnodes int) *Ring {
	if vnodes <= 0 {
		vnodes = DefaultVirtualNodes
	}
	sorted := make([]Node, 0, len(nodes))
	seen := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		if !seen[n.Name] {
			seen[n.Name] = true
			sorted = append(sorted, n)
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })

	r := &Ring{nodes: sorted, vnodes: vnodes, version: versionOf(sorted)}
	type point struct {
		hash  uint64
		owner int32
	}
	points := make([]point, 0, len(sorted)*vnodes)
	var buf []byte
	for i, n := range sorted {
		for v := 0; v < vnodes; v++ {
			buf = append(buf[:0], n.Name...)
			buf = append(buf, '#')
			buf = strconv.AppendInt(buf, int64(v), 10)
			points = append(points, point{xxhash.Sum64(buf), int32(i)})
		}
	}
	// Ties (astronomically rare) break by node name so every process agrees.
	slices.SortFunc(points, func(a, b point) int {
		if a.hash != b.hash {
			if a.hash < b.hash {
				return -1
			}
			return 1
		}
		return int(a.owner - b.owner)
	})
	r.points = make([]uint64, len(points))
	r.owners = make([]int32, len(points))
	for i, p := range points {
		r.points[i], r.owners[i] = p.hash, p.owner
	}
	return r
}

// versionOf hashes the sorted node names: equal sets give equal versions.
func versionOf(sorted []Node) uint64 {
	d := xxhash.New()
	for _, n := range sorted {
		_, _ = d.WriteString(n.Name)
		_, _ = d.Write([]byte{0})
	}
	return d.Sum64()
}

// KeyHash maps a room key to its position on the ring. A room id (64 hex
// characters of SHA-256) is already uniformly distributed, so its first 8
// bytes are used as is; any other key is hashed.
func KeyHash(key string) uint64 {
	if len(key) >= 16 {
		var b [8]byte
		if _, err := hex.Decode(b[:], []byte(key[:16])); err == nil {
			return binary.BigEndian.Uint64(b[:])
		}
	}
	return xxhash.Sum64String(key)
}

// Owner returns the node that owns key, or false when the ring is empty.
func (r *Ring) Owner(key string) (Node, bool) {
	if r == nil || len(r.points) == 0 {
		return Node{}, false
	}
	h := KeyHash(key)
	i := sort.Search(len(r.points), func(i int) bool { return r.points[i] >= h })
	if i == len(r.points) {
		i = 0
	}
	return r.nodes[r.owners[i]], true
}

// Version identifies the node set; 0 for an empty ring.
func (r *Ring) Version() uint64 {
	if r == nil || len(r.nodes) == 0 {
		return 0
	}
	return r.version
}

// VersionString formats Version as 16 hex digits, as the admin API shows it.
func (r *Ring) VersionString() string {
	return FormatVersion(r.Version())
}

// FormatVersion formats a ring version as 16 hex digits.
func FormatVersion(v uint64) string {
	return fmt.Sprintf("%016x", v)
}

// Nodes returns the ring's nodes sorted by name. The caller must not modify it.
func (r *Ring) Nodes() []Node {
	if r == nil {
		return nil
	}
	return r.nodes
}

// Len is the number of nodes.
func (r *Ring) Len() int { return len(r.Nodes()) }

// Has reports whether a node of that name is on the ring.
func (r *Ring) Has(name string) bool {
	for _, n := range r.Nodes() {
		if n.Name == name {
			return true
		}
	}
	return false
}

// VirtualNodes is the number of points per node.
func (r *Ring) VirtualNodes() int {
	if r == nil {
		return 0
	}
	return r.vnodes
}

// Shares returns the fraction of the hash space each node owns.
func (r *Ring) Shares() map[string]float64 {
	shares := make(map[string]float64, r.Len())
	if r == nil || len(r.points) == 0 {
		return shares
	}
	const space = float64(1<<64 - 1)
	for i, p := range r.points {
		prev := r.points[len(r.points)-1]
		if i > 0 {
			prev = r.points[i-1]
		}
		// The arc (prev, p] belongs to p's owner; uint64 subtraction wraps.
		shares[r.nodes[r.owners[i]].Name] += float64(p-prev) / space
	}
	return shares
}
