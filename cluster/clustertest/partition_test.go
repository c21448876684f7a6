package clustertest_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomshard/roomshard/cluster/clustertest"
)

// TestPartition cuts one shard off the network (its own network namespace
// joined by a veth pair whose host end goes down) under counter load, then
// heals the link: the others take its rooms with no client disconnect, the
// cut-off shard cannot commit for them (its lease is fenced, and it cannot
// reach the database meanwhile), and once healed it rejoins every ring.
// It needs root and iproute2 (CI runs as root).
func TestPartition(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process partition test; skipped with -short")
	}
	nn := newNetns(t)
	w, storage := durableWorkload(t)
	hostIP, nsIP := nn.hostIP, nn.nsIP

	// Everything listens on the host end of the veth, so the shard in the
	// namespace can reach it; the database through a relay there.
	nsStorage := storage
	if strings.HasPrefix(storage, "postgres://") {
		nsStorage = relayPostgres(t, storage, hostIP)
	}
	addrs := func(ip string) (string, string, string) {
		return freeOn(t, ip), freeOn(t, ip), freeOn(t, ip)
	}
	c := &clustertest.Cluster{}
	var seed []string
	for i := 1; i <= 2; i++ {
		h, g, gs := addrs(hostIP)
		p := clustertest.Start(t, bins, clustertest.Spec{Role: clustertest.RoleShard, Name: fmt.Sprintf("s%d", i),
			HTTP: h, GRPC: g, Gossip: gs, Join: seed, Args: []string{"--storage", storage}})
		seed = append(seed, p.Gossip)
		c.Shards = append(c.Shards, p)
	}
	h, g, gs := addrs(nsIP)
	nsBins := bins
	nsBins.Shard = nn.wrap(t, bins.Shard)
	cut := clustertest.Start(t, nsBins, clustertest.Spec{Role: clustertest.RoleShard, Name: "s3",
		HTTP: h, GRPC: g, Gossip: gs, Join: seed, Args: []string{"--storage", nsStorage}})
	c.Shards = append(c.Shards, cut)
	for i := 1; i <= 2; i++ {
		h, g, gs := addrs(hostIP)
		c.Gateways = append(c.Gateways, clustertest.Start(t, bins, clustertest.Spec{Role: clustertest.RoleGateway,
			Name: fmt.Sprintf("g%d", i), HTTP: h, GRPC: g, Gossip: gs, Join: seed}))
	}
	waitForMembers(t, c, 5)
	admin := adminClient(t, c.Gateways[0].GRPC)
	l := startLoad(t, w.workload, c.Gateways, loadOptions{rooms: 30, clients: 90, pace: 150 * time.Millisecond, replyTimeout: 2 * time.Second})
	l.waitAcks(t, 2, 60*time.Second)

	rooms := roomsOwnedBy(t, admin, w.namespace, l.rooms, cut.Name)
	at := time.Now()
	t.Logf("cutting %s off; it owns %d rooms of the load", cut.Name, len(rooms))
	nn.link(t, "down")
	l.waitAcks(t, 2, failoverBound+5*time.Second)
	reportServedAgain(t, "partition", l.servedAgain(rooms, at), len(rooms))
	waitOnRing(t, &clustertest.Cluster{Shards: c.Shards[:2], Gateways: c.Gateways}, cut.Name, false, 15*time.Second)

	nn.link(t, "up")
	healed := time.Now()
	waitOnRing(t, c, cut.Name, true, 30*time.Second)
	t.Logf("%s back on every ring %v after the link came up", cut.Name, time.Since(healed).Round(time.Millisecond))
	l.waitAcks(t, 2, failoverBound)

	l.stop()
	if p := l.problems(); len(p) > 0 {
		t.Fatalf("%d client disconnects or bad replies, first: %s", len(p), strings.Join(p[:min(len(p), 5)], "; "))
	}
	t.Logf("%d increments acknowledged", l.totalAcks())
	w.check(t, l, c.Gateways[1])
}

// netns is a network namespace joined to the host by a veth pair.
type netns struct {
	name, hostIf, hostIP, nsIP string
}

// newNetns creates the namespace, or skips the test when it cannot.
func newNetns(t *testing.T) *netns {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("partition test needs root (network namespaces); CI runs it as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("partition test needs iproute2's ip command")
	}
	id := os.Getpid() % 10000
	nn := &netns{name: fmt.Sprintf("rspart%d", id), hostIf: fmt.Sprintf("rsh%d", id),
		hostIP: fmt.Sprintf("10.211.%d.1", id%250), nsIP: fmt.Sprintf("10.211.%d.2", id%250)}
	nsIf := fmt.Sprintf("rsn%d", id)
	if err := ipCmd("netns", "add", nn.name); err != nil {
		t.Skipf("partition test: cannot create a network namespace here: %v", err)
	}
	t.Cleanup(func() {
		_ = ipCmd("link", "del", nn.hostIf)
		_ = ipCmd("netns", "del", nn.name)
	})
	for _, args := range [][]string{
		{"link", "add", nn.hostIf, "type", "veth", "peer", "name", nsIf},
		{"link", "set", nsIf, "netns", nn.name},
		{"addr", "add", nn.hostIP + "/30", "dev", nn.hostIf},
		{"link", "set", nn.hostIf, "up"},
		{"netns", "exec", nn.name, "ip", "addr", "add", nn.nsIP + "/30", "dev", nsIf},
		{"netns", "exec", nn.name, "ip", "link", "set", nsIf, "up"},
		{"netns", "exec", nn.name, "ip", "link", "set", "lo", "up"},
	} {
		if err := ipCmd(args...); err != nil {
			t.Fatalf("setting up the namespace: %v", err)
		}
	}
	return nn
}

// wrap returns a script that runs bin inside the namespace. exec keeps
// the process id, so signals reach the binary.
func (nn *netns) wrap(t *testing.T, bin string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in-netns")
	script := fmt.Sprintf("#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n", nn.name, bin)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// link sets the host end of the veth up or down: down cuts the namespace
// off from every other process and the database.
func (nn *netns) link(t *testing.T, state string) {
	t.Helper()
	if err := ipCmd("link", "set", nn.hostIf, state); err != nil {
		t.Fatal(err)
	}
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// freeOn returns ip:port for a port free for TCP and UDP on ip when ip is
// local to the test (the host end of the veth), else one free on loopback
// (the namespace is fresh: any port is free there). Start does not retry
// explicit ports, so this checks the address the process will bind.
func freeOn(t *testing.T, ip string) string {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", ip+":0")
		if err != nil {
			break // not an address of this namespace
		}
		addr := ln.Addr().String()
		udp, uerr := net.ListenPacket("udp", addr)
		_ = ln.Close()
		if uerr == nil {
			_ = udp.Close()
			return addr
		}
	}
	port, err := clustertest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s:%d", ip, port)
}

// relayPostgres relays connections from ip to the test database (which
// listens on loopback only) and returns the URL through the relay.
func relayPostgres(t *testing.T, dbURL, ip string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				relay(ctx, in, target)
			}()
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = ln.Close()
		wg.Wait()
	})
	u.Host = ln.Addr().String()
	return u.String()
}

// relay copies between in and a new connection to target until either
// side closes or ctx ends.
func relay(ctx context.Context, in net.Conn, target string) {
	defer in.Close()
	out, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer out.Close()
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go cp(out, in)
	go cp(in, out)
	select {
	case <-done:
	case <-ctx.Done():
	}
	// Closing both ends (deferred) ends the other copier; wait for it.
	_ = in.Close()
	_ = out.Close()
	<-done
}
