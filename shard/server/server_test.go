package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestOpsEndpoints(t *testing.T) {
	s := startShard(t, loopbackConfig("s1"))
	if s.GRPCAddr() == "" || strings.HasSuffix(s.GRPCAddr(), ":0") || strings.HasSuffix(s.GossipAddr(), ":0") || strings.HasSuffix(s.HTTPAddr(), ":0") {
		t.Fatalf("addresses %s %s %s", s.HTTPAddr(), s.GRPCAddr(), s.GossipAddr())
	}
	base := "http://" + s.HTTPAddr()
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d %s", code, body)
	}
	c := dial(t, s.GRPCAddr())
	g := open(t, c, "echo", "metered", "g1")
	g.connect(t, "a")
	code, body := get(t, base+"/metrics")
	for _, want := range []string{"roomshard_shard_rooms_active 1", "roomshard_shard_sockets 1", "roomshard_shard_stream_opens_total 1", `roomshard_shard_events_total{kind="connect",result="ok"} 1`, "roomshard_shard_handler_seconds_bucket"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	m, ok := s.Membership().Member("s1")
	if !ok || m.Meta.GetGrpcAddr() != s.GRPCAddr() || m.Meta.GetHttpAddr() != s.HTTPAddr() || len(m.Meta.GetNamespaces()) != 5 {
		t.Errorf("own member = %+v", m)
	}
}

// TestReadyNeedsJoin: with --join, /readyz waits for another member.
func TestReadyNeedsJoin(t *testing.T) {
	first := startShard(t, loopbackConfig("s1"))
	cfg := loopbackConfig("s2")
	cfg.Join = []string{first.GossipAddr()}
	second := startShard(t, cfg)
	eventually(t, func() error {
		if code, body := get(t, "http://"+second.HTTPAddr()+"/readyz"); code != 200 {
			return &readyErr{code, body}
		}
		return nil
	})
	lonely := loopbackConfig("s3")
	lonely.Join = []string{"127.0.0.1:1"}
	s3 := startShard(t, lonely)
	if code, _ := get(t, "http://"+s3.HTTPAddr()+"/readyz"); code != 503 {
		t.Errorf("/readyz of a node that joined no one = %d, want 503", code)
	}
}

type readyErr struct {
	code int
	body string
}

func (e *readyErr) Error() string { return e.body }
