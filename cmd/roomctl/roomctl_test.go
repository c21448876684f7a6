package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/admin/admintest"
	"github.com/roomshard/roomshard/cluster/roomid"
)

// result is one roomctl run.
type result struct {
	stdout, stderr string
	code           int
}

// roomctl runs the command in process with the given environment.
func roomctl(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := run(ctx, args, &out, &errb, func(k string) string { return env[k] })
	return result{out.String(), errb.String(), code}
}

// ok fails the test unless r succeeded.
func (r result) ok(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}

// decode parses r's stdout as one protojson object into m.
func (r result) decode(t *testing.T, m proto.Message) {
	t.Helper()
	if strings.Count(strings.TrimSpace(r.stdout), "\n") != 0 {
		t.Fatalf("want one JSON line, got %q", r.stdout)
	}
	if err := protojson.Unmarshal([]byte(r.stdout), m); err != nil {
		t.Fatalf("decoding %q: %v", r.stdout, err)
	}
}

// lines are r's non-empty stdout lines.
func (r result) lines() []string {
	var out []string
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func TestCommands(t *testing.T) {
	c := admintest.Start(t, admintest.Options{})
	addr := c.Node("g1").GRPCAddr
	env := map[string]string{"ROOMSHARD_ADDR": addr} // flags after args also tested below
	lobby := c.AddRoom("chat", "lobby", 3)
	for i := range 5 {
		c.AddRoom("echo", fmt.Sprintf("e%d", i), 1)
	}
	ownerOf := func(id string) string {
		n, _ := c.Nodes[0].Membership.Ring().Owner(id)
		return n.Name
	}

	t.Run("members", func(t *testing.T) {
		r := roomctl(t, env, "members").ok(t)
		lines := r.lines()
		if len(lines) != 5 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "g1 ") || !strings.Contains(lines[2], "shard") {
			t.Errorf("table:\n%s", r.stdout)
		}
		var resp roomshardv1.ListMembersResponse
		roomctl(t, env, "members", "-o", "json").ok(t).decode(t, &resp)
		if len(resp.Members) != 4 || resp.AnsweredBy != "g1" {
			t.Errorf("json: %v", &resp)
		}
	})

	t.Run("ring", func(t *testing.T) {
		v := c.Nodes[0].Membership.Ring().VersionString()
		r := roomctl(t, env, "ring").ok(t)
		if !strings.Contains(r.stdout, "ring version "+v) || len(r.lines()) != 5 {
			t.Errorf("table:\n%s", r.stdout)
		}
		var resp roomshardv1.GetRingResponse
		roomctl(t, env, "-o", "json", "ring").ok(t).decode(t, &resp)
		if len(resp.Shards) != 3 || fmt.Sprintf("%016x", resp.Version) != v {
			t.Errorf("json: %v", &resp)
		}
	})

	t.Run("locate", func(t *testing.T) {
		// Flags after the positional arguments, as SPEC §8 shows.
		var resp roomshardv1.LocateRoomResponse
		roomctl(t, nil, "locate", "chat", "lobby", "--addr", addr, "-o", "json").ok(t).decode(t, &resp)
		if resp.Id != lobby || resp.Owner != ownerOf(lobby) || resp.Name != "lobby" {
			t.Errorf("json: %v", &resp)
		}
		r := roomctl(t, env, "locate", lobby).ok(t)
		if !strings.Contains(r.stdout, lobby) || !strings.Contains(r.stdout, "OWNER         "+ownerOf(lobby)) {
			t.Errorf("table:\n%s", r.stdout)
		}
		r = roomctl(t, env, "locate", "nope", "lobby")
		if r.code != 1 || !strings.Contains(r.stderr, `unknown namespace "nope"`) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("unknown namespace: %+v", r)
		}
	})

	t.Run("rooms", func(t *testing.T) {
		r := roomctl(t, env, "rooms").ok(t)
		if len(r.lines()) != 7 || r.stderr != "" {
			t.Errorf("table:\n%s\nstderr: %s", r.stdout, r.stderr)
		}
		var page roomshardv1.ListRoomsResponse
		roomctl(t, env, "rooms", "--limit", "4", "-o", "json").ok(t).decode(t, &page)
		if len(page.Rooms) != 4 || page.NextPageToken == "" {
			t.Fatalf("page: %v", &page)
		}
		var rest roomshardv1.ListRoomsResponse
		roomctl(t, env, "rooms", "--limit", "4", "--page", page.NextPageToken, "-o", "json").ok(t).decode(t, &rest)
		if len(rest.Rooms) != 2 || rest.NextPageToken != "" {
			t.Errorf("second page: %v", &rest)
		}
		var all roomshardv1.ListRoomsResponse
		roomctl(t, env, "rooms", "--limit", "2", "--all", "-o", "json").ok(t).decode(t, &all)
		if len(all.Rooms) != 6 || all.NextPageToken != "" {
			t.Errorf("--all: %d rooms", len(all.Rooms))
		}
		r = roomctl(t, env, "rooms", "--namespace", "chat", "--limit", "1").ok(t)
		if len(r.lines()) != 2 || !strings.Contains(r.stdout, lobby) {
			t.Errorf("filtered table:\n%s", r.stdout)
		}
		var onShard roomshardv1.ListRoomsResponse
		roomctl(t, env, "rooms", "--shard", ownerOf(lobby), "-o", "json").ok(t).decode(t, &onShard)
		for _, room := range onShard.Rooms {
			if room.Shard != ownerOf(lobby) {
				t.Errorf("--shard let %v through", room)
			}
		}
	})

	t.Run("room", func(t *testing.T) {
		for _, args := range [][]string{{"room", lobby}, {"room", "chat", "lobby"}} {
			r := roomctl(t, env, args...).ok(t)
			for _, want := range []string{lobby, "lobby-1", "lobby-3", "SOCKET", "OWNER"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("%q: table lacks %q:\n%s", args, want, r.stdout)
				}
			}
		}
		var resp roomshardv1.GetRoomResponse
		roomctl(t, env, "room", lobby, "-o", "json").ok(t).decode(t, &resp)
		if resp.Room.GetId() != lobby || len(resp.Sockets) != 3 || resp.Owner != ownerOf(lobby) {
			t.Errorf("json: %v", &resp)
		}
		if r := roomctl(t, env, "room", "chat", "nobody"); r.code != 1 || !strings.Contains(r.stderr, "NotFound") {
			t.Errorf("missing room: %+v", r)
		}
	})

	owner := c.Node(ownerOf(lobby)).Local
	t.Run("publish", func(t *testing.T) {
		msg := `hello, "world" -- {json}`
		r := roomctl(t, env, "publish", "chat", "lobby", msg).ok(t)
		if r.stdout != "published to 3 sockets of chat/lobby\n" {
			t.Errorf("table: %q", r.stdout)
		}
		calls := owner.Calls()
		if last := calls[len(calls)-1]; last.Method != "Publish" || string(last.Data) != msg || last.Binary {
			t.Errorf("recorded %+v", last)
		}
		var resp roomshardv1.PublishResponse
		roomctl(t, env, "publish", "-o", "json", "chat", "lobby", "--", "-starts-with-dash").ok(t).decode(t, &resp)
		calls = owner.Calls()
		if resp.Delivered != 3 || string(calls[len(calls)-1].Data) != "-starts-with-dash" {
			t.Errorf("json: %v, recorded %+v", &resp, calls[len(calls)-1])
		}
	})

	t.Run("kick", func(t *testing.T) {
		r := roomctl(t, env, "kick", "chat", "lobby", "lobby-1", "--code", "4001", "--reason", "bye").ok(t)
		if r.stdout != "closed 1 socket of chat/lobby with 4001\n" {
			t.Errorf("table: %q", r.stdout)
		}
		calls := owner.Calls()
		if last := calls[len(calls)-1]; last.Method != "CloseSockets" || last.Code != 4001 || last.Reason != "bye" || !slices.Equal(last.SocketIDs, []string{"lobby-1"}) {
			t.Errorf("recorded %+v", last)
		}
		var resp roomshardv1.CloseSocketsResponse
		roomctl(t, env, "kick", "chat", "lobby", "-o", "json").ok(t).decode(t, &resp)
		calls = owner.Calls()
		if resp.Closed != 2 || calls[len(calls)-1].Code != 1000 {
			t.Errorf("json: %v, recorded %+v", &resp, calls[len(calls)-1])
		}
		if r := roomctl(t, env, "kick", "chat", "lobby", "--code", "1006"); r.code != 1 || !strings.Contains(r.stderr, "InvalidArgument") {
			t.Errorf("bad code: %+v", r)
		}
	})

	t.Run("drain", func(t *testing.T) {
		r := roomctl(t, env, "drain", "s3").ok(t)
		if !strings.HasPrefix(r.stdout, "draining s3: it held ") || !c.Node("s3").Local.Draining() {
			t.Errorf("table: %q", r.stdout)
		}
		var resp roomshardv1.DrainShardResponse
		roomctl(t, env, "drain", "s1", "-o", "json").ok(t).decode(t, &resp)
		if !c.Node("s1").Local.Draining() || c.Node("s2").Local.Draining() {
			t.Error("drain reached the wrong shard")
		}
		if r := roomctl(t, env, "drain", "g1"); r.code != 1 || !strings.Contains(r.stderr, "not a shard") {
			t.Errorf("drain of a gateway: %+v", r)
		}
	})

	t.Run("new-id", func(t *testing.T) {
		r := roomctl(t, env, "new-id").ok(t)
		if roomid.CheckID(strings.TrimSpace(r.stdout)) != nil {
			t.Errorf("table: %q", r.stdout)
		}
		var resp roomshardv1.NewUniqueIdResponse
		roomctl(t, env, "new-id", "chat", "-o", "json").ok(t).decode(t, &resp)
		if roomid.CheckID(resp.Id) != nil {
			t.Errorf("json: %v", &resp)
		}
	})

	t.Run("watch", func(t *testing.T) {
		for i, format := range []string{"table", "json"} {
			out := &syncBuffer{}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan int, 1)
			go func() {
				done <- run(ctx, []string{"watch", "-o", format}, out, out, func(k string) string { return env[k] })
			}()
			admintest.WaitFor(t, 5*time.Second, func() error {
				if !strings.Contains(out.String(), "ring") {
					return fmt.Errorf("no initial ring event yet: %q", out.String())
				}
				return nil
			})
			name := fmt.Sprintf("w%d", i)
			c.AddNode(name, roomshardv1.Role_ROLE_GATEWAY)
			admintest.WaitFor(t, 10*time.Second, func() error {
				if !strings.Contains(out.String(), name) {
					return fmt.Errorf("no join of %s yet: %q", name, out.String())
				}
				return nil
			})
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Errorf("%s: exit %d: %s", format, code, out.String())
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: watch did not stop on cancel", format)
			}
			sc := bufio.NewScanner(strings.NewReader(out.String()))
			for sc.Scan() {
				line := sc.Text()
				if format == "json" {
					var ev roomshardv1.WatchClusterResponse
					if err := protojson.Unmarshal([]byte(line), &ev); err != nil {
						t.Errorf("line %q: %v", line, err)
					}
				} else if strings.Contains(line, name) && !strings.Contains(line, "join    "+name+"  gateway  active  alive") {
					t.Errorf("join line %q", line)
				}
			}
		}
	})
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex // protects buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestToken(t *testing.T) {
	c := admintest.Start(t, admintest.Options{Shards: 1, Token: "s3cret"})
	addr := c.Node("g1").GRPCAddr
	r := roomctl(t, nil, "members", "--addr", addr)
	if r.code != 1 || !strings.HasPrefix(r.stderr, "roomctl: "+addr+" refused the call") || !strings.Contains(r.stderr, "--admin-token") {
		t.Errorf("without token: %+v", r)
	}
	roomctl(t, nil, "members", "--addr", addr, "--admin-token", "s3cret").ok(t)
	roomctl(t, map[string]string{"ROOMSHARD_ADMIN_TOKEN": "s3cret", "ROOMSHARD_ADDR": addr}, "ring").ok(t)
	if r := roomctl(t, map[string]string{"ROOMSHARD_ADMIN_TOKEN": "s3cret"}, "ring", "--addr", addr, "--admin-token", "wrong"); r.code != 1 {
		t.Errorf("the flag must win over the env: %+v", r)
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	for _, cmd := range [][]string{{"members"}, {"watch"}, {"rooms", "--all"}} {
		start := time.Now()
		r := roomctl(t, nil, append(cmd, "--addr", addr)...)
		want := "roomctl: cannot reach " + addr + ": connection refused\n"
		if r.code != 1 || r.stderr != want || r.stdout != "" {
			t.Errorf("%q: exit %d, stderr %q; want 1, %q", cmd, r.code, r.stderr, want)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%q took %s to fail", cmd, d)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{args: nil, code: 2, stderr: "roomctl: no command given"},
		{args: []string{"--help"}, code: 0, stdout: "Commands:"},
		{args: []string{"-h"}, code: 0, stdout: "Commands:"},
		{args: []string{"help"}, code: 0, stdout: "Commands:"},
		{args: []string{"help", "kick"}, code: 0, stdout: "--reason REASON"},
		{args: []string{"help", "dev"}, code: 0, stdout: "roomctl dev --help"},
		{args: []string{"kick", "--help"}, code: 0, stdout: "Usage: roomctl kick"},
		{args: []string{"help", "nope"}, code: 2, stderr: `unknown command "nope"`},
		{args: []string{"nope"}, code: 2, stderr: `unknown command "nope"`},
		{args: []string{"locate", "chat"}, code: 2, stderr: "Usage: roomctl locate"},
		{args: []string{"members", "extra"}, code: 2, stderr: "want no arguments"},
		{args: []string{"publish", "chat", "lobby"}, code: 2, stderr: "NAMESPACE NAME MESSAGE"},
		{args: []string{"members", "-o", "yaml"}, code: 2, stderr: `-o "yaml"`},
		{args: []string{"members", "--tls-cert", "c.pem"}, code: 2, stderr: "--tls-key"},
		{args: []string{"rooms", "--limit", "5000"}, code: 2, stderr: "--limit"},
		{args: []string{"members", "--bogus"}, code: 2, stderr: "unknown flag --bogus"},
		{args: []string{"--bogus", "members"}, code: 2, stderr: "unknown flag --bogus"},
		{args: []string{"members", "--tls-ca", "/does/not/exist"}, code: 1, stderr: "--tls-ca"},
	} {
		r := roomctl(t, nil, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("%q: exit %d\nstdout: %s\nstderr: %s", tc.args, r.code, r.stdout, r.stderr)
		}
	}
}
