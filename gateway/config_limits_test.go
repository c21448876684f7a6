package gateway

import (
	"errors"
	"testing"
	"time"
)

func TestParseConfigSecurityAndLimits(t *testing.T) {
	c, err := ParseConfig([]string{"--auth-secret", "s", "--admin-token", "a", "--rate-limit", "7", "--rate-burst", "9",
		"--max-connections", "-1", "--max-connections-per-ip", "5", "--handshake-timeout", "3s"},
		func(k string) string { return map[string]string{"ROOMSHARD_MAX_CONNECTIONS_PER_ROOM": "11"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	if string(c.AuthSecret) != "s" || c.AdminToken != "a" || c.RateLimit != 7 || c.RateBurst != 9 || c.MaxConnections != -1 ||
		c.MaxConnectionsPerIP != 5 || c.MaxConnectionsPerRoom != 11 || c.HandshakeTimeout != 3*time.Second {
		t.Fatalf("parsed %+v", c)
	}
	d, err := ParseConfig(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if d.AuthSecret != nil || d.RateLimit != DefaultRateLimit || d.RateBurst != DefaultRateBurst || d.MaxConnections != DefaultMaxConnections ||
		d.MaxConnectionsPerIP != DefaultMaxConnectionsPerIP || d.MaxConnectionsPerRoom != DefaultMaxConnectionsPerRoom ||
		d.HandshakeTimeout != DefaultHandshakeTimeout || d.TLS.Enabled() {
		t.Fatalf("defaults %+v", d)
	}
	for _, args := range [][]string{{"--tls-cert", "x.pem"}, {"--tls-ca", "ca.pem"}, {"--rate-burst", "-1"}} {
		if _, err := ParseConfig(args, func(string) string { return "" }); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%v: %v, want ErrBadConfig", args, err)
		}
	}
}

func TestBucket(t *testing.T) {
	b := newBucket(10, 3)
	now := time.Unix(0, 0)
	for i := range 3 {
		if !b.allow(now) {
			t.Fatalf("burst message %d refused", i)
		}
	}
	if b.allow(now) {
		t.Fatal("past the burst allowed")
	}
	if !b.allow(now.Add(100 * time.Millisecond)) {
		t.Fatal("refill after 1/rate refused")
	}
	off := newBucket(-1, 0)
	for range 1000 {
		if !off.allow(now) {
			t.Fatal("disabled limit refused")
		}
	}
}
