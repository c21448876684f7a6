package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRoutes(t *testing.T) {
	t.Parallel()
	g, _ := testCluster(t, nil)
	upgrade := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"},
		"Sec-Websocket-Version": {"13"}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}}
	long := strings.Repeat("x", 257)
	tests := []struct {
		name, method, path string
		header             http.Header
		status             int
		body               string // substring of the answer
	}{
		{"usage", "GET", "/", nil, 200, "GET /rooms/{name}/websocket"},
		{"usage lists namespaces", "GET", "/", nil, 200, "broadcast (class broadcast)"},
		{"demo page", "GET", "/", http.Header{"Accept": {"text/html,*/*"}}, 200, "<!doctype html>"},
		{"no upgrade", "GET", "/websocket", nil, 426, "Upgrade: websocket"},
		{"no upgrade room", "GET", "/rooms/lobby/ws", nil, 426, "Upgrade"},
		{"post", "POST", "/rooms/lobby/websocket", upgrade, 400, "GET"},
		{"put without upgrade", "PUT", "/websocket", nil, 400, "GET"},
		{"unknown namespace", "GET", "/ns/nope/rooms/a/websocket", upgrade, 404, `unknown namespace "nope"`},
		{"name too long", "GET", "/rooms/" + long + "/websocket", upgrade, 400, "room name"},
		{"name not utf-8", "GET", "/rooms/%FF/websocket", upgrade, 400, "room name"},
		{"bad object id", "GET", "/ns/echo/objects/xyz/websocket", upgrade, 400, "malformed object id"},
		{"foreign origin", "GET", "/rooms/a/websocket", withOrigin(upgrade, "http://evil.example"), 403, "origin not allowed"},
		{"count", "GET", "/rooms/lobby/connections", nil, 200, "There are 0 WebSocket clients connected to this Durable Object instance."},
		{"count json", "GET", "/ns/echo/rooms/lobby/connections", http.Header{"Accept": {"application/json"}}, 200, `{"connections":0}`},
		{"count unknown namespace", "GET", "/ns/nope/rooms/a/connections", nil, 404, "unknown namespace"},
		{"seed count", "GET", "/getCurrentConnections", nil, 200, "There are 0 WebSocket"},
		{"healthz", "GET", "/healthz", nil, 200, "ok"},
		{"readyz", "GET", "/readyz", nil, 200, "ready"},
		{"metrics", "GET", "/metrics", nil, 200, "roomshard_gateway_connections_open"},
		{"not found", "GET", "/nowhere", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			g.mux.ServeHTTP(rec, req)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("%s %s = %d %q; want %d containing %q", tt.method, tt.path, rec.Code, rec.Body.String(), tt.status, tt.body)
			}
			if tt.status != 200 && tt.status != 404 && strings.Count(strings.TrimSpace(rec.Body.String()), "\n") > 0 {
				t.Errorf("error body is not one line: %q", rec.Body.String())
			}
		})
	}
}

func withOrigin(h http.Header, origin string) http.Header {
	h = h.Clone()
	h.Set("Origin", origin)
	return h
}

func TestOriginCheck(t *testing.T) {
	t.Parallel()
	g, _ := testCluster(t, nil)
	if got := dialStatus(t, g, "/rooms/a/websocket", http.Header{"Origin": {"http://evil.example"}}); got != 403 {
		t.Errorf("foreign origin: %d, want 403", got)
	}
	if got := dialStatus(t, g, "/rooms/a/websocket", http.Header{"Origin": {"http://" + g.HTTPAddr()}}); got != 101 {
		t.Errorf("same origin: %d, want 101", got)
	}
	if got := dialStatus(t, g, "/rooms/a/websocket", nil); got != 101 {
		t.Errorf("no origin: %d, want 101", got)
	}
}

func TestOriginAllowed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		allowed []string
		origin  string
		want    bool
	}{
		{nil, "", true},
		{nil, "http://h:1", true},
		{nil, "http://other:1", false},
		{nil, "::bad", false},
		{[]string{"https://app.example"}, "https://app.example", true},
		{[]string{"https://app.example"}, "http://app.example", false},
		{[]string{"app.example"}, "http://app.example", true},
		{[]string{"*"}, "http://anything", true},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "http://h:1/websocket", nil)
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if got := originAllowed(tt.allowed, r); got != tt.want {
			t.Errorf("originAllowed(%v, %q) = %v, want %v", tt.allowed, tt.origin, got, tt.want)
		}
	}
}

func TestNoShardAnswers503(t *testing.T) {
	t.Parallel()
	g := newTestGateway(t, nil)
	rec := httptest.NewRecorder()
	g.mux.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 {
		t.Errorf("/readyz without shards = %d, want 503", rec.Code)
	}
}
