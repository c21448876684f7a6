package gateway

import (
	"fmt"
	"slices"
	"strings"
)

// usage is the text GET / answers to non-browsers: every route, and the
// namespaces the cluster binds right now.
func usage(node, defaultNS string, namespaces map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "roomshard gateway %s\n\n", node)
	fmt.Fprintf(&b, "Routes (default namespace %q):\n", defaultNS)
	for _, r := range [][2]string{
		{"GET /", "this text; the demo page for browsers (Accept: text/html)"},
		{"GET /websocket", `WebSocket to room "foo" of the default namespace`},
		{"GET /getCurrentConnections", `connection count of room "foo" of the default namespace`},
		{"GET /rooms/{name}/websocket", "WebSocket to room {name} of the default namespace"},
		{"GET /rooms/{name}/ws", "the same"},
		{"GET /rooms/{name}/connections", `connection count (JSON {"connections":N} with Accept: application/json)`},
		{"GET /ns/{namespace}/rooms/{name}/websocket", "WebSocket to room {name} of {namespace}"},
		{"GET /ns/{namespace}/rooms/{name}/connections", "connection count of room {name} of {namespace}"},
		{"GET /ns/{namespace}/objects/{id}/websocket", "WebSocket to the room with 64-hex id {id}"},
		{"GET /ns/{namespace}/objects/{id}/connections", "connection count of the room with id {id}"},
		{"GET /healthz, /readyz, /metrics", "liveness, readiness, Prometheus metrics"},
	} {
		fmt.Fprintf(&b, "  %-46s %s\n", r[0], r[1])
	}
	b.WriteString("\nNamespaces:")
	if len(namespaces) == 0 {
		b.WriteString(" none yet (no shard has joined)")
	}
	b.WriteString("\n")
	names := make([]string, 0, len(namespaces))
	for ns := range namespaces {
		names = append(names, ns)
	}
	slices.Sort(names)
	for _, ns := range names {
		fmt.Fprintf(&b, "  %s (class %s)\n", ns, namespaces[ns])
	}
	return b.String()
}
