package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/roomshard/roomshard/cluster/authtoken"
	"github.com/roomshard/roomshard/cluster/flagenv"
)

// runToken mints a connect token for gateways started with --auth-secret
// (format: package authtoken). It needs no connection.
func runToken(_ context.Context, args []string, stdout, _ io.Writer) error {
	var (
		secret, sub string
		ttl         time.Duration
		ns, rooms   flagenv.Strings
	)
	fs := flag.NewFlagSet("roomctl token", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&secret, "secret", "", "the gateways' --auth-secret (default: $ROOMSHARD_AUTH_SECRET)")
	fs.StringVar(&sub, "sub", "", "the user the token names (the socket's identity); required")
	fs.DurationVar(&ttl, "ttl", time.Hour, "how long the token is valid")
	fs.Var(&ns, "ns", "namespace the token may open (repeatable; default: any)")
	fs.Var(&rooms, "room", "room name or NAMESPACE/NAME the token may open (repeatable; default: any)")
	if err := fs.Parse(args); err != nil {
		return usagef("token: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("token: unexpected argument %q", fs.Arg(0))
	}
	if secret == "" {
		secret = os.Getenv("ROOMSHARD_AUTH_SECRET")
	}
	switch {
	case secret == "":
		return usagef("token: --secret (or ROOMSHARD_AUTH_SECRET) is required")
	case strings.TrimSpace(sub) == "":
		return usagef("token: --sub is required")
	case ttl <= 0:
		return usagef("token: --ttl must be positive")
	}
	tok, err := authtoken.Sign([]byte(secret), authtoken.Claims{
		Sub: sub, Exp: time.Now().Add(ttl).Unix(), NS: splitAll(ns), Rooms: splitAll(rooms),
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// splitAll flattens repeated, possibly comma-separated flag values.
func splitAll(vs []string) []string {
	var out []string
	for _, v := range vs {
		out = append(out, flagenv.SplitList(v)...)
	}
	return out
}
