package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/roomshard/roomshard/cluster/authtoken"
)

func TestTokenMintsVerifiableToken(t *testing.T) {
	var out bytes.Buffer
	err := runToken(context.Background(), []string{"--secret", "s3", "--sub", "alice", "--ttl", "2m", "--ns", "chat", "--room", "lobby,chat/ops"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c, err := authtoken.Verify([]byte("s3"), strings.TrimSpace(out.String()), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if c.Sub != "alice" || len(c.NS) != 1 || len(c.Rooms) != 2 || c.Exp > time.Now().Add(3*time.Minute).Unix() {
		t.Fatalf("claims %+v", c)
	}
}

func TestTokenNeedsSecretAndSub(t *testing.T) {
	t.Setenv("ROOMSHARD_AUTH_SECRET", "")
	for _, args := range [][]string{{"--sub", "a"}, {"--secret", "s"}, {"--secret", "s", "--sub", "a", "--ttl", "-1s"}} {
		if err := runToken(context.Background(), args, io.Discard, io.Discard); !isUsage(err) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
