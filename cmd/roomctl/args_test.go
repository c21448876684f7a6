package main

import (
	"flag"
	"slices"
	"testing"
	"time"
)

// testFlags is a flag set like a command's: the globals plus a few of its own.
func testFlags() (*flag.FlagSet, *globals, *bool, *int) {
	var g globals
	fs := newFlagSet("test")
	g.register(fs)
	all := fs.Bool("all", false, "")
	limit := fs.Int("limit", 0, "")
	return fs, &g, all, limit
}

func TestParseInterleaved(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		positional []string
		addr, out  string
		all        bool
		limit      int
		timeout    time.Duration
		wantErr    bool
	}{
		{name: "flags after positionals", args: []string{"chat", "lobby", "--addr", "host:7000", "-o", "json"}, positional: []string{"chat", "lobby"}, addr: "host:7000", out: "json"},
		{name: "flags before", args: []string{"--addr", "h:1", "-o", "json", "chat", "lobby"}, positional: []string{"chat", "lobby"}, addr: "h:1", out: "json"},
		{name: "flags between", args: []string{"chat", "--addr=h:2", "lobby", "--output=json"}, positional: []string{"chat", "lobby"}, addr: "h:2", out: "json"},
		{name: "single dash long flag", args: []string{"-addr", "h:3", "x"}, positional: []string{"x"}, addr: "h:3", out: "table"},
		{name: "bool flag takes no value", args: []string{"--all", "chat"}, positional: []string{"chat"}, addr: defaultAddr, out: "table", all: true},
		{name: "bool flag with =false", args: []string{"--all=false", "chat"}, positional: []string{"chat"}, addr: defaultAddr, out: "table"},
		{name: "int and duration", args: []string{"--limit", "7", "--timeout", "2s"}, addr: defaultAddr, out: "table", limit: 7, timeout: 2 * time.Second},
		{name: "double dash ends flags", args: []string{"chat", "lobby", "--", "--addr", "-o"}, positional: []string{"chat", "lobby", "--addr", "-o"}, addr: defaultAddr, out: "table"},
		{name: "lone dash is positional", args: []string{"-", "x"}, positional: []string{"-", "x"}, addr: defaultAddr, out: "table"},
		{name: "value that looks like a flag", args: []string{"--addr", "-o"}, addr: "-o", out: "table"},
		{name: "last wins", args: []string{"-o", "json", "x", "-o", "table"}, positional: []string{"x"}, addr: defaultAddr, out: "table"},
		{name: "missing value", args: []string{"chat", "--addr"}, wantErr: true},
		{name: "unknown flag", args: []string{"chat", "--bogus"}, wantErr: true},
		{name: "negative number is a flag", args: []string{"publish", "-1"}, wantErr: true},
		{name: "bad int", args: []string{"--limit", "many"}, wantErr: true},
		{name: "bad duration", args: []string{"--timeout", "soon"}, wantErr: true},
		{name: "value on a bool", args: []string{"--all=maybe"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, g, all, limit := testFlags()
			pos, err := parseInterleaved(fs, tc.args)
			if tc.wantErr {
				if err == nil || !isUsage(err) {
					t.Fatalf("got %v, %v; want a usage error", pos, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pos, tc.positional) || g.addr != tc.addr || g.output != tc.out || *all != tc.all || *limit != tc.limit {
				t.Errorf("got pos=%q addr=%q out=%q all=%v limit=%d", pos, g.addr, g.output, *all, *limit)
			}
			if tc.timeout != 0 && g.timeout != tc.timeout {
				t.Errorf("timeout %s, want %s", g.timeout, tc.timeout)
			}
		})
	}
}

func TestFindCommand(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    int
		wantErr bool
	}{
		{[]string{"members"}, 0, false},
		{[]string{"--addr", "h:1", "members", "--all"}, 2, false},
		{[]string{"--addr=h:1", "-o", "json", "ring"}, 3, false},
		{[]string{"--help"}, -1, false},
		{[]string{}, -1, false},
		{[]string{"--namespace", "chat", "rooms"}, -1, true},
	} {
		fs, _, _, _ := testFlags()
		got, err := findCommand(fs, tc.args)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("findCommand(%q) = %d, %v; want %d (error %v)", tc.args, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestGlobalsEnv(t *testing.T) {
	env := map[string]string{"ROOMSHARD_ADDR": "env:1", "ROOMSHARD_ADMIN_TOKEN": "tok"}
	fs, g, _, _ := testFlags()
	if _, err := parseInterleaved(fs, []string{"--addr", "flag:2"}); err != nil {
		t.Fatal(err)
	}
	g.applyEnv(fs, func(k string) string { return env[k] })
	if g.addr != "flag:2" || g.token != "tok" {
		t.Errorf("addr %q token %q: the flag must win, the env fill the rest", g.addr, g.token)
	}
}
