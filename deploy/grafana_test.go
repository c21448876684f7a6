package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/roomshard/roomshard/gateway"
	"github.com/roomshard/roomshard/shard/server"
)

// dashboardMetric finds the metric names a PromQL expression reads.
var dashboardMetric = regexp.MustCompile(`\b(?:roomshard|go|process)_[a-z0-9_]+\b`)

// TestDashboardMetricsExist checks that every metric the Grafana dashboard
// queries is exported by a real gateway or shard: both are started in this
// process on loopback, given some traffic (so labelled series exist), and
// their /metrics are scraped.
func TestDashboardMetricsExist(t *testing.T) {
	raw, err := os.ReadFile("grafana/roomshard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	exported := scrapeCluster(t)
	seen := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, name := range dashboardMetric.FindAllString(tg.Expr, -1) {
				seen++
				if !exported[name] {
					t.Errorf("panel %q queries %s, which no process exports", p.Title, name)
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("the dashboard queries no metric")
	}
}

// scrapeCluster runs a shard and a gateway, drives a little traffic and
// returns every sample name their /metrics expose.
func scrapeCluster(t *testing.T) map[string]bool {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := server.New(ctx, server.Config{Name: "dash-s1", HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0",
		GossipAddr: "127.0.0.1:0", Storage: "memory"}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(shutdownCtx(t)) })
	g, err := gateway.New(ctx, gateway.Config{Name: "dash-g1", HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0",
		GossipAddr: "127.0.0.1:0", Join: []string{s.GossipAddr()}}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Shutdown(shutdownCtx(t)) })
	deadline := time.Now().Add(10 * time.Second)
	for g.Membership().Ring().Len() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("gateway never saw the shard")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A durable write (counter) for the commit histogram, a close for the
	// close-code counter, a refused origin for the refusal counter.
	c, _, err := websocket.DefaultDialer.Dial("ws://"+g.HTTPAddr()+"/ns/counter/rooms/dash/websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("incr")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "1" {
		t.Fatalf("incr: %q %v", msg, err)
	}
	_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			break
		}
	}
	_ = c.Close()
	if _, resp, err := websocket.DefaultDialer.Dial("ws://"+g.HTTPAddr()+"/rooms/dash/websocket",
		http.Header{"Origin": {"https://elsewhere.example"}}); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin was not refused: %v", err)
	}

	names := map[string]bool{}
	for _, addr := range []string{g.HTTPAddr(), s.HTTPAddr()} {
		var body string
		deadline := time.Now().Add(5 * time.Second)
		for {
			body = get(t, "http://"+addr+"/metrics")
			// The gateway counts the close once the socket is released.
			if addr != g.HTTPAddr() || strings.Contains(body, "roomshard_gateway_connections_total{") || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		for _, line := range strings.Split(body, "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			name, _, _ := strings.Cut(line, "{")
			name, _, _ = strings.Cut(name, " ")
			names[name] = true
		}
	}
	return names
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatal(fmt.Errorf("GET %s: %d %v", url, resp.StatusCode, err))
	}
	return string(b)
}

func shutdownCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
