package authtoken

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	secret = []byte("test-secret")
	now    = time.Unix(1_800_000_000, 0)
)

func mustSign(t *testing.T, c Claims) string {
	t.Helper()
	tok, err := Sign(secret, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerify(t *testing.T) {
	good := mustSign(t, Claims{Sub: "alice", Exp: now.Unix() + 60})
	payload, sig, _ := strings.Cut(good, ".")
	tampered := mustSign(t, Claims{Sub: "mallory", Exp: now.Unix() + 60})
	tamperedPayload, _, _ := strings.Cut(tampered, ".")
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"good", good, nil},
		{"expired", mustSign(t, Claims{Sub: "alice", Exp: now.Unix()}), ErrExpired},
		{"payload swapped", tamperedPayload + "." + sig, ErrSignature},
		{"signature cut", payload + "." + sig[:10], ErrSignature},
		{"no dot", payload, ErrMalformed},
		{"empty", "", ErrMalformed},
		{"bad base64", payload + ".!!!", ErrMalformed},
		{"too long", strings.Repeat("a", MaxLen+1), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Verify(secret, tt.token, now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if err == nil && c.Sub != "alice" {
				t.Fatalf("sub %q", c.Sub)
			}
		})
	}
	if _, err := Verify([]byte("other"), good, now); !errors.Is(err, ErrSignature) {
		t.Fatalf("other secret: %v", err)
	}
}

func TestSignRefusesIncompleteClaims(t *testing.T) {
	if _, err := Sign(secret, Claims{Exp: 1}); !errors.Is(err, ErrClaims) {
		t.Fatal(err)
	}
	if _, err := Sign(nil, Claims{Sub: "a", Exp: 1}); !errors.Is(err, ErrNoSecret) {
		t.Fatal(err)
	}
}

func TestAllows(t *testing.T) {
	tests := []struct {
		c        Claims
		ns, name string
		want     bool
	}{
		{Claims{}, "chat", "lobby", true},
		{Claims{}, "chat", "", true},
		{Claims{NS: []string{"chat"}}, "chat", "x", true},
		{Claims{NS: []string{"chat"}}, "echo", "x", false},
		{Claims{Rooms: []string{"lobby"}}, "echo", "lobby", true},
		{Claims{Rooms: []string{"lobby"}}, "echo", "other", false},
		{Claims{Rooms: []string{"chat/lobby"}}, "chat", "lobby", true},
		{Claims{Rooms: []string{"chat/lobby"}}, "echo", "lobby", false},
		{Claims{Rooms: []string{"lobby"}}, "chat", "", false},
		{Claims{NS: []string{"chat"}, Rooms: []string{"lobby"}}, "echo", "lobby", false},
	}
	for _, tt := range tests {
		if got := tt.c.Allows(tt.ns, tt.name); got != tt.want {
			t.Errorf("%+v.Allows(%q, %q) = %v", tt.c, tt.ns, tt.name, got)
		}
	}
}
