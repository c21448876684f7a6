package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/roomid"
)

// seedRoom is the room of the seed-compatible short routes.
const seedRoom = "foo"

// roomAddr is a room as a route names it: namespace plus name or id.
type roomAddr struct{ namespace, name, id string }

// addrFunc extracts a roomAddr from a request's path.
type addrFunc func(*http.Request) roomAddr

// mount adds SPEC §2's routes to mux. WebSocket routes take every method so
// a non-GET gets our 400 rather than ServeMux's 405.
func (g *Gateway) mount(mux *http.ServeMux) {
	def := g.cfg.DefaultNamespace
	seed := func(*http.Request) roomAddr { return roomAddr{namespace: def, name: seedRoom} }
	named := func(r *http.Request) roomAddr { return roomAddr{namespace: def, name: r.PathValue("name")} }
	nsNamed := func(r *http.Request) roomAddr {
		return roomAddr{namespace: r.PathValue("namespace"), name: r.PathValue("name")}
	}
	nsObject := func(r *http.Request) roomAddr {
		return roomAddr{namespace: r.PathValue("namespace"), id: strings.ToLower(r.PathValue("id"))}
	}

	mux.HandleFunc("GET /{$}", g.handleIndex)
	mux.HandleFunc("/websocket", g.handleWebSocket(seed))
	mux.HandleFunc("GET /getCurrentConnections", g.handleCount(seed))
	mux.HandleFunc("/rooms/{name}/websocket", g.handleWebSocket(named))
	mux.HandleFunc("/rooms/{name}/ws", g.handleWebSocket(named))
	mux.HandleFunc("GET /rooms/{name}/connections", g.handleCount(named))
	mux.HandleFunc("/ns/{namespace}/rooms/{name}/websocket", g.handleWebSocket(nsNamed))
	mux.HandleFunc("GET /ns/{namespace}/rooms/{name}/connections", g.handleCount(nsNamed))
	mux.HandleFunc("/ns/{namespace}/objects/{id}/websocket", g.handleWebSocket(nsObject))
	mux.HandleFunc("GET /ns/{namespace}/objects/{id}/connections", g.handleCount(nsObject))
}

// handleWebSocket checks a WebSocket request in SPEC §2's order and hands
// it to serveSocket.
func (g *Gateway) handleWebSocket(addr addrFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "WebSocket routes take GET, not "+r.Method, http.StatusBadRequest)
			return
		}
		if !headerHasToken(r.Header, "Upgrade", "websocket") {
			w.Header().Set("Upgrade", "websocket")
			http.Error(w, "expected a WebSocket upgrade (Upgrade: websocket)", http.StatusUpgradeRequired)
			return
		}
		ref, status, msg := g.resolve(addr(r))
		if status != 0 {
			http.Error(w, msg, status)
			return
		}
		if !originAllowed(g.cfg.AllowedOrigins, r) {
			g.refuse(w, &refusal{"origin", http.StatusForbidden, "origin not allowed: " + r.Header.Get("Origin")})
			return
		}
		identity, no := g.authenticate(r, ref)
		if no != nil {
			g.refuse(w, no)
			return
		}
		release, no := g.conns.acquire(clientIP(r), ref.GetId())
		if no != nil {
			g.refuse(w, no)
			return
		}
		g.serveSocket(w, r, ref, identity, release)
	}
}

// headerHasToken reports whether a comma-separated header lists token
// (case-insensitively), as Upgrade and Connection headers do.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// handleCount answers a room's connection count (SPEC §4 text, or JSON).
func (g *Gateway) handleCount(addr addrFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ref, status, msg := g.resolve(addr(r))
		if status != 0 {
			http.Error(w, msg, status)
			return
		}
		n, err := g.countConnections(r.Context(), ref)
		if err != nil {
			g.log.Warn("counting connections", "room", ref.GetId(), "err", err)
			http.Error(w, "connection count unavailable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		if strings.Contains(r.Header.Get("Accept"), "application/json") {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]int64{"connections": n})
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, countText(n))
	}
}

// resolve validates a route's room address: 503 with no shard at all, 404
// for a namespace no shard binds, 400 for a bad name or id.
func (g *Gateway) resolve(a roomAddr) (ref *roomshardv1.RoomRef, status int, msg string) {
	if g.members.Ring().Len() == 0 {
		return nil, http.StatusServiceUnavailable, "no shard available yet"
	}
	if _, ok := g.members.NamespaceClass(a.namespace); !ok {
		return nil, http.StatusNotFound, fmt.Sprintf("unknown namespace %q", a.namespace)
	}
	return refFor(a)
}

// refFor checks a route's room name or id (400 when bad) and returns the
// room's reference with its id.
func refFor(a roomAddr) (ref *roomshardv1.RoomRef, status int, msg string) {
	if a.id != "" {
		if roomid.CheckID(a.id) != nil {
			return nil, http.StatusBadRequest, "malformed object id: want 64 hex characters"
		}
		return &roomshardv1.RoomRef{Namespace: a.namespace, Id: a.id}, 0, ""
	}
	if roomid.CheckName(a.name) != nil {
		return nil, http.StatusBadRequest, "room name must be 1..256 bytes of valid UTF-8"
	}
	return &roomshardv1.RoomRef{Namespace: a.namespace, Name: a.name, Id: roomid.FromName(a.namespace, a.name)}, 0, ""
}

// handleIndex serves the usage text, or the demo page to browsers.
func (g *Gateway) handleIndex(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(demoPage)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, usage(g.cfg.Name, g.cfg.DefaultNamespace, g.members.Namespaces()))
}
