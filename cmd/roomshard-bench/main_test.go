package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomshard/roomshard/bench"
)

func TestRunEchoAgainstDirectJSON(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := filepath.Join(t.TempDir(), "r.json")
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"run", "--baseline", "direct", "--direct", "inproc", "--scenario", "echo",
		"--clients", "5", "--duration", "200ms", "-o", "json", "--out", out}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	var res bench.Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("json: %v\n%s", err, stdout.String())
	}
	if res.Scenario != "echo" || res.System != "direct" || res.Connect.Established != 5 || res.Counters.Delivered == 0 {
		t.Fatalf("result %+v", res)
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	for _, args := range [][]string{
		{"bogus"},
		{"run", "--scenario", "echo"}, // no --url
		{"run", "--baseline", "direct", "--direct", "inproc", "--scenario", "nope"}, // unknown scenario
		{"run", "--baseline", "direct", "--direct", "bogus"},                        // bad mode
		{"run", "--baseline", "direct", "-o", "xml"},                                // bad format
		{"run", "--url", "ws://x", "--sizes", "1"},                                  // bad sizes
		{"run", "--url", "ws://x", "--pid", "gw=abc"},                               // bad pid
		{"compare", "--scenario", "echo", "--clients", "1", "--duration", "1ms"},    // no --url
	} {
		var stdout, stderr bytes.Buffer
		if err := run(ctx, args, &stdout, &stderr); err == nil {
			t.Errorf("run(%v) succeeded", args)
		}
	}
}

func TestPidFlag(t *testing.T) {
	var p pidList
	for _, v := range []string{"gateway=10", "20"} {
		if err := p.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.String(); got != "gateway=10,pid20=20" {
		t.Errorf("pids = %q", got)
	}
	if !strings.Contains(usage, "compare") {
		t.Error("usage lacks compare")
	}
}
