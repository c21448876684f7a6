package membership_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/clustertest"
	"github.com/roomshard/roomshard/cluster/membership"
)

// waitFor polls check every 20ms until it returns nil or total passes.
func waitFor(t *testing.T, total time.Duration, check func() error) {
	t.Helper()
	clustertest.Eventually(t, total, 20*time.Millisecond, check)
}

// node starts a member on a loopback port chosen by the kernel, joining
// join when given and waiting until it has, and shuts it down at cleanup.
func node(t *testing.T, name string, role roomshardv1.Role, join ...*membership.Membership) *membership.Membership {
	t.Helper()
	cfg := membership.Config{
		Name:           name,
		Role:           role,
		BindAddr:       "127.0.0.1:0",
		GRPCAddr:       "127.0.0.1:7" + name[1:],
		HTTPAddr:       "127.0.0.1:8" + name[1:],
		GossipInterval: 20 * time.Millisecond,
		JoinRetry:      50 * time.Millisecond,
		Logger:         slog.New(slog.DiscardHandler),
	}
	if role == roomshardv1.Role_ROLE_SHARD {
		cfg.Namespaces = []string{"chat=chat", "rooms=echo"}
	}
	for _, j := range join {
		cfg.Join = append(cfg.Join, j.GossipAddr())
	}
	m, err := membership.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	// Nodes that join one seed at the same instant can miss each other
	// until memberlist's next full sync (30 s): join one at a time.
	for _, j := range join {
		waitFor(t, 10*time.Second, func() error {
			if _, ok := j.Member(name); !ok {
				return fmt.Errorf("%s does not see %s yet", j.Name(), name)
			}
			if got, want := len(m.Members()), len(j.Members()); got != want {
				return fmt.Errorf("%s sees %d members, %s sees %d", name, got, j.Name(), want)
			}
			return nil
		})
	}
	return m
}

// names lists the members m sees.
func names(m *membership.Membership) []string {
	var out []string
	for _, x := range m.Members() {
		out = append(out, x.Name)
	}
	return out
}

// ringNames lists the shards on m's ring.
func ringNames(m *membership.Membership) []string {
	var out []string
	for _, n := range m.Ring().Nodes() {
		out = append(out, n.Name)
	}
	return out
}

// waitMembers waits until every node sees exactly want.
func waitMembers(t *testing.T, want []string, nodes ...*membership.Membership) {
	t.Helper()
	waitFor(t, 10*time.Second, func() error {
		for _, m := range nodes {
			if got := names(m); !slices.Equal(got, want) {
				return fmt.Errorf("%s sees %v, want %v", m.Name(), got, want)
			}
		}
		return nil
	})
}

// waitRing waits until every node's ring holds exactly want.
func waitRing(t *testing.T, want []string, nodes ...*membership.Membership) {
	t.Helper()
	waitFor(t, 10*time.Second, func() error {
		for _, m := range nodes {
			if got := ringNames(m); !slices.Equal(got, want) {
				return fmt.Errorf("%s's ring has %v, want %v", m.Name(), got, want)
			}
		}
		return nil
	})
}

func TestStartOnPortZero(t *testing.T) {
	m := node(t, "s1", roomshardv1.Role_ROLE_SHARD)
	host, port, err := net.SplitHostPort(m.GossipAddr())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("gossip address %q: %v", m.GossipAddr(), err)
	}
	if p, _ := strconv.Atoi(port); p == 0 {
		t.Fatalf("port %q", port)
	}
	self, ok := m.Member("s1")
	if !ok || self.GossipAddr != m.GossipAddr() || self.Health != "alive" {
		t.Errorf("self %+v", self)
	}
	if !slices.Equal(ringNames(m), []string{"s1"}) {
		t.Errorf("a lone shard's ring: %v", ringNames(m))
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := membership.Start(context.Background(), membership.Config{BindAddr: "127.0.0.1:0"}); !errors.Is(err, membership.ErrNoName) {
		t.Errorf("no name: %v", err)
	}
	for _, bad := range []string{"no-port", "127.0.0.1:http"} {
		if _, err := membership.Start(context.Background(), membership.Config{Name: "x", BindAddr: bad}); err == nil {
			t.Errorf("bind address %q accepted", bad)
		}
	}
}

func TestJoinSeesMeta(t *testing.T) {
	s1 := node(t, "s1", roomshardv1.Role_ROLE_SHARD)
	s2 := node(t, "s2", roomshardv1.Role_ROLE_SHARD, s1)
	g1 := node(t, "g1", roomshardv1.Role_ROLE_GATEWAY, s1)
	all := []*membership.Membership{s1, s2, g1}
	waitMembers(t, []string{"g1", "s1", "s2"}, all...)

	for _, m := range all {
		for _, name := range []string{"g1", "s1", "s2"} {
			got, ok := m.Member(name)
			if !ok {
				t.Fatalf("%s does not see %s", m.Name(), name)
			}
			wantRole := roomshardv1.Role_ROLE_SHARD
			if name == "g1" {
				wantRole = roomshardv1.Role_ROLE_GATEWAY
			}
			meta := got.Meta
			if meta.GetRole() != wantRole || meta.GetGrpcAddr() != "127.0.0.1:7"+name[1:] || meta.GetHttpAddr() != "127.0.0.1:8"+name[1:] ||
				meta.GetState() != roomshardv1.MemberState_MEMBER_STATE_ACTIVE || meta.GetIncarnation() == 0 {
				t.Errorf("%s sees %s with meta %v", m.Name(), name, meta)
			}
			if (wantRole == roomshardv1.Role_ROLE_SHARD) != (len(meta.GetNamespaces()) == 2) {
				t.Errorf("%s sees %s with namespaces %v", m.Name(), name, meta.GetNamespaces())
			}
		}
		// Namespaces are learned from shards, gateways included.
		if class, ok := m.NamespaceClass("rooms"); !ok || class != "echo" {
			t.Errorf("%s: namespace rooms -> %q, %v", m.Name(), class, ok)
		}
		if _, ok := m.NamespaceClass("nope"); ok {
			t.Errorf("%s knows namespace nope", m.Name())
		}
		if ns := m.Namespaces(); len(ns) != 2 || ns["chat"] != "chat" {
			t.Errorf("%s: namespaces %v", m.Name(), ns)
		}
	}

	// The ring holds the shards, never the gateway, with their gRPC addresses.
	waitRing(t, []string{"s1", "s2"}, all...)
	if s1.Ring().Version() != g1.Ring().Version() || s1.Ring().Version() != s2.Ring().Version() {
		t.Error("nodes disagree on the ring version")
	}
	if n := s1.Ring().Nodes()[1]; n.Addr != "127.0.0.1:72" {
		t.Errorf("ring node %+v", n)
	}
	if g1.Local().GetRole() != roomshardv1.Role_ROLE_GATEWAY {
		t.Errorf("g1's own meta %v", g1.Local())
	}
}

func TestDrainingShardLeavesRing(t *testing.T) {
	s1 := node(t, "s1", roomshardv1.Role_ROLE_SHARD)
	s2 := node(t, "s2", roomshardv1.Role_ROLE_SHARD, s1)
	s3 := node(t, "s3", roomshardv1.Role_ROLE_SHARD, s1)
	all := []*membership.Membership{s1, s2, s3}
	waitRing(t, []string{"s1", "s2", "s3"}, all...)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s2.SetState(ctx, roomshardv1.MemberState_MEMBER_STATE_DRAINING); err != nil {
		t.Fatal(err)
	}
	waitRing(t, []string{"s1", "s3"}, all...)
	for _, m := range all {
		got, ok := m.Member("s2")
		if !ok || got.Meta.GetState() != roomshardv1.MemberState_MEMBER_STATE_DRAINING || got.IsActiveShard() {
			t.Errorf("%s sees s2 as %+v", m.Name(), got)
		}
	}
	// A draining shard is still a member.
	waitMembers(t, []string{"s1", "s2", "s3"}, all...)
}

func TestLeaveDisappears(t *testing.T) {
	s1 := node(t, "s1", roomshardv1.Role_ROLE_SHARD)
	s2 := node(t, "s2", roomshardv1.Role_ROLE_SHARD, s1)
	g1 := node(t, "g1", roomshardv1.Role_ROLE_GATEWAY, s1)
	waitMembers(t, []string{"g1", "s1", "s2"}, s1, s2, g1)

	if err := s2.Leave(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s2.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if err := s2.Shutdown(); err != nil {
		t.Errorf("a second Shutdown: %v", err)
	}
	waitMembers(t, []string{"g1", "s1"}, s1, g1)
	waitRing(t, []string{"s1"}, s1, g1)
	if _, ok := g1.Member("s2"); ok {
		t.Error("g1 still has s2")
	}
}

func TestSubscribe(t *testing.T) {
	s1 := node(t, "s1", roomshardv1.Role_ROLE_SHARD)
	events, cancel := s1.Subscribe()
	defer cancel()
	other, cancelOther := s1.Subscribe()

	s2 := node(t, "s2", roomshardv1.Role_ROLE_SHARD, s1)
	var sawJoin, sawRing bool
	timeout := time.After(10 * time.Second)
	for !sawJoin || !sawRing {
		select {
		case ev := <-events:
			switch {
			case ev.Kind == "join" && ev.Member.Name == "s2":
				sawJoin = true
				if ev.Member.Meta.GetRole() != roomshardv1.Role_ROLE_SHARD || ev.At.IsZero() {
					t.Errorf("join event %+v", ev)
				}
			case ev.Kind == "ring" && ev.Ring.Len() == 2:
				sawRing = true
			}
			if ev.Ring == nil {
				t.Errorf("%s event without a ring", ev.Kind)
			}
		case <-timeout:
			t.Fatalf("join seen %v, ring seen %v", sawJoin, sawRing)
		}
	}

	// After cancel, a subscriber gets nothing more; cancel is idempotent.
	cancelOther()
	cancelOther()
	for len(other) > 0 {
		<-other
	}
	if err := s2.Leave(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() error {
		select {
		case ev := <-events:
			if ev.Kind == "leave" && ev.Member.Name == "s2" {
				return nil
			}
			return fmt.Errorf("got %s of %s", ev.Kind, ev.Member.Name)
		default:
			return errors.New("no leave event yet")
		}
	})
	if len(other) != 0 {
		t.Errorf("a cancelled subscription got %d events", len(other))
	}
}
