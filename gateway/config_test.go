package gateway

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.Name == "" || c.HTTPAddr != ":8080" || c.GRPCAddr != ":7000" || c.GossipAddr != ":7946" ||
		c.DefaultNamespace != "broadcast" || c.MaxMessageSize != 1<<20 || c.SendQueue != DefaultSendQueue ||
		c.RoomBuffer != 1000 || c.RoomOpenTimeout != 10*time.Second || c.CloseWait != time.Second ||
		c.LogLevel != "info" || c.LogFormat != "text" || len(c.AllowedOrigins) != 0 || c.GossipKey != nil {
		t.Errorf("defaults: %+v", c)
	}
}

func TestParseConfigFlagsAndEnv(t *testing.T) {
	env := map[string]string{
		"ROOMSHARD_NAME":            "from-env",
		"ROOMSHARD_HTTP":            ":1",
		"ROOMSHARD_JOIN":            "a:1, b:2",
		"ROOMSHARD_ALLOWED_ORIGINS": "https://x.example,y.example",
		"ROOMSHARD_GOSSIP_KEY":      "MDEyMzQ1Njc4OWFiY2RlZg==", // 16 bytes
	}
	c, err := ParseConfig([]string{"--name", "from-flag", "--send-queue", "7", "--max-message-size", "2048",
		"--default-namespace", "chat", "--advertise", "10.0.0.1"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "from-flag" {
		t.Errorf("flag must win over env: name %q", c.Name)
	}
	if c.HTTPAddr != ":1" || len(c.Join) != 2 || c.Join[1] != "b:2" || len(c.AllowedOrigins) != 2 ||
		len(c.GossipKey) != 16 || c.SendQueue != 7 || c.MaxMessageSize != 2048 ||
		c.DefaultNamespace != "chat" || c.Advertise != "10.0.0.1" {
		t.Errorf("parsed: %+v", c)
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--bogus"},
		{"--send-queue", "x"},
		{"--max-message-size", "-1"},
		{"--gossip-key", "not base64!"},
		{"--gossip-key", "c2hvcnQ="},
		{"--log-format", "xml"},
		{"--log-level", "loud"},
		{"extra"},
	} {
		_, err := ParseConfig(args, func(string) string { return "" })
		if !errors.Is(err, ErrBadConfig) {
			t.Errorf("ParseConfig(%q) = %v, want ErrBadConfig", args, err)
		}
	}
	if _, err := ParseConfig([]string{"-h"}, func(string) string { return "" }); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}

func TestAdvertisedAddresses(t *testing.T) {
	t.Parallel()
	g := newTestGateway(t, func(c *Config) {
		c.HTTPAddr, c.GRPCAddr, c.Advertise = ":0", ":0", "localhost"
	})
	_, grpcPort, _ := net.SplitHostPort(g.GRPCAddr())
	_, httpPort, _ := net.SplitHostPort(g.HTTPAddr())
	meta := g.members.Local()
	if meta.GetGrpcAddr() != "localhost:"+grpcPort || meta.GetHttpAddr() != "localhost:"+httpPort {
		t.Errorf("meta addresses %s %s; bound %s %s", meta.GetGrpcAddr(), meta.GetHttpAddr(), g.GRPCAddr(), g.HTTPAddr())
	}
	if meta.GetRole() != roomshardv1.Role_ROLE_GATEWAY {
		t.Errorf("role %v", meta.GetRole())
	}
}

// TestNewFailsCleanlyWhenPortTaken: a start-up error after the first
// listener is open returns the error, closes what was opened, and does not
// panic.
func TestNewFailsCleanlyWhenPortTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg, err := ParseConfig([]string{"--name", "g", "--http", "127.0.0.1:0", "--grpc", taken.Addr().String(), "--gossip", "127.0.0.1:0"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		_ = g.Shutdown(context.Background())
		t.Fatal("New succeeded on a gRPC port already in use")
	}
	if !strings.Contains(err.Error(), taken.Addr().String()) {
		t.Errorf("error %q does not name the taken address", err)
	}
}
