package clustertest_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/clustertest"
	"github.com/roomshard/roomshard/shard/storage/pgtest"
)

// Durable rooms (issue 3) through the real binaries: data outlives the
// processes that wrote it, and rooms that move between shard processes
// keep it when the shards share PostgreSQL.

// TestDurableRoomsOnPostgres runs 3 shards on one PostgreSQL database and
// 2 gateways. Subtests share the cluster and run in order.
func TestDurableRoomsOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process cluster test; skipped with -short")
	}
	url := pgtest.Start(t)
	args := []string{"--storage", url}
	c := clustertest.StartCluster(t, bins, clustertest.Options{Shards: 3, Gateways: 2, ShardArgs: args})
	waitForMembers(t, c, 5)
	ringsAgree(t, c, 3)
	g1, g2 := c.Gateways[0], c.Gateways[1]

	const chatRoom = "/ns/chat/rooms/durable/websocket"
	var history []string
	t.Run("chat history", func(t *testing.T) {
		alice := dial(t, g1.HTTP, chatRoom)
		chatJoin(t, alice, "alice", "1")
		if got := read(t, alice); got != "alice joined the room | 1" {
			t.Fatalf("join line = %q", got)
		}
		for i := range 5 {
			send(t, alice, fmt.Sprintf(`{"type":"message","message":"line %d","timestamp":%d}`, i, 100+i))
			line := fmt.Sprintf("alice: line %d | %d", i, 100+i)
			if got := read(t, alice); got != line {
				t.Fatalf("broadcast = %q, want %q", got, line)
			}
			history = append(history, line)
		}
	})

	t.Run("counter is exact under concurrency", func(t *testing.T) {
		const clients, incrs = 20, 200
		replies := make(chan int, clients*incrs)
		var wg sync.WaitGroup
		for i := range clients {
			g := c.Gateways[i%2]
			conn := dial(t, g.HTTP, "/ns/counter/rooms/hits/websocket")
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range incrs {
					if err := conn.WriteMessage(websocket.TextMessage, []byte("incr")); err != nil {
						t.Errorf("client %d: %v", i, err)
						return
					}
					_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
					_, data, err := conn.ReadMessage()
					if err != nil {
						t.Errorf("client %d: %v", i, err)
						return
					}
					n, err := strconv.Atoi(string(data))
					if err != nil {
						t.Errorf("client %d: reply %q", i, data)
						return
					}
					replies <- n
				}
			}()
		}
		wg.Wait()
		close(replies)
		seen := make(map[int]bool, clients*incrs)
		for n := range replies {
			if seen[n] || n < 1 || n > clients*incrs {
				t.Errorf("reply %d repeated or out of range", n)
			}
			seen[n] = true
		}
		if len(seen) != clients*incrs {
			t.Errorf("%d distinct replies, want %d", len(seen), clients*incrs)
		}
		if got := counterGet(t, g2.HTTP, "hits"); got != "4000" {
			t.Errorf("get = %q, want 4000", got)
		}
	})
	if t.Failed() {
		return
	}

	// Every shard restarts in turn: each room moves to another shard, which
	// reads it from the database, and comes back.
	for i, old := range c.Shards {
		old.Stop(t)
		c.Shards[i] = clustertest.Start(t, bins, clustertest.Spec{Role: clustertest.RoleShard, Name: old.Name, Join: []string{g1.Gossip}, Args: args})
		waitForMembers(t, c, 5)
	}
	ringsAgree(t, c, 3)

	t.Run("chat history after every shard restarted", func(t *testing.T) {
		bob := dial(t, g2.HTTP, chatRoom)
		chatJoin(t, bob, "bob", `"later"`)
		for _, want := range append(history, "bob joined the room | later") {
			if got := read(t, bob); got != want {
				t.Fatalf("bob reads %q, want %q", got, want)
			}
		}
	})

	// Then every process, gateways too.
	for _, p := range append(append([]*clustertest.Proc{}, c.Shards...), c.Gateways...) {
		p.Stop(t)
	}
	c = clustertest.StartCluster(t, bins, clustertest.Options{Shards: 3, Gateways: 2, ShardArgs: args})
	waitForMembers(t, c, 5)
	t.Run("counter after every process restarted", func(t *testing.T) {
		if got := counterGet(t, c.Gateways[0].HTTP, "hits"); got != "4000" {
			t.Errorf("get = %q, want 4000", got)
		}
	})
}

// TestDurableRoomsOnPebble runs one shard on a pebble directory (which one
// process at a time can open) and 2 gateways, and kills the shard: chat
// history and a pending alarm survive, and the alarm fires on the
// restarted shard with no client connected to its room.
func TestDurableRoomsOnPebble(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process cluster test; skipped with -short")
	}
	args := []string{"--storage", "pebble:" + filepath.Join(t.TempDir(), "pebble")}
	c := clustertest.StartCluster(t, bins, clustertest.Options{Shards: 1, Gateways: 2, ShardArgs: args})
	waitForMembers(t, c, 3)
	g1, g2 := c.Gateways[0], c.Gateways[1]

	alice := dial(t, g1.HTTP, "/ns/chat/rooms/kept/websocket")
	chatJoin(t, alice, "alice", "1")
	read(t, alice)
	send(t, alice, `{"type":"message","message":"still here?","timestamp":2}`)
	if got := read(t, alice); got != "alice: still here? | 2" {
		t.Fatalf("broadcast = %q", got)
	}
	_ = alice.Close()

	timer := dial(t, g2.HTTP, "/ns/counter/rooms/timer/websocket")
	send(t, timer, "incr-later 500")
	if got := read(t, timer); got != "scheduled" {
		t.Fatalf("incr-later = %q", got)
	}
	_ = timer.Close()

	// A crash before the alarm is due (starting the shard again takes longer).
	old := c.Shards[0]
	old.Kill()
	c.Shards[0] = clustertest.Start(t, bins, clustertest.Spec{Role: clustertest.RoleShard, Name: "s1", Join: []string{g1.Gossip}, Args: args,
		HTTP: old.HTTP, GRPC: old.GRPC, Gossip: old.Gossip}) // the same addresses, as a restarted pod keeps its name
	waitForMembers(t, c, 3)

	// The alarm runs without any client in its room: the shard's alarm
	// scan activates the room (visible in its event metrics).
	clustertest.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		_, body := get(t, "http://"+c.Shards[0].HTTP+"/metrics", http.Header{})
		if !regexp.MustCompile(`(?m)^roomshard_shard_events_total\{kind="alarm",result="ok"\} [1-9]`).MatchString(body) {
			return fmt.Errorf("no alarm event on the restarted shard yet")
		}
		return nil
	})
	if got := counterGet(t, g1.HTTP, "timer"); got != "1" {
		t.Errorf("counter after its alarm = %q, want 1", got)
	}

	bob := dial(t, g2.HTTP, "/ns/chat/rooms/kept/websocket")
	chatJoin(t, bob, "bob", "3")
	for _, want := range []string{"alice: still here? | 2", "bob joined the room | 3"} {
		if got := read(t, bob); got != want {
			t.Fatalf("bob reads %q, want %q", got, want)
		}
	}
}

func chatJoin(t testing.TB, c *websocket.Conn, name, stamp string) {
	t.Helper()
	send(t, c, fmt.Sprintf(`{"type":"join","name":%q,"timestamp":%s}`, name, stamp))
}

// counterGet asks counter room name for its value through a gateway.
func counterGet(t testing.TB, httpAddr, name string) string {
	t.Helper()
	conn := dial(t, httpAddr, "/ns/counter/rooms/"+name+"/websocket")
	defer conn.Close()
	send(t, conn, "get")
	return read(t, conn)
}

// ringsAgree waits until every process sees the same ring of n shards, so
// gateways and shards agree on every room's owner.
func ringsAgree(t *testing.T, c *clustertest.Cluster, n int) {
	t.Helper()
	procs := append(append([]*clustertest.Proc{}, c.Shards...), c.Gateways...)
	admins := make([]roomshardv1.AdminServiceClient, len(procs))
	for i, p := range procs {
		admins[i] = adminClient(t, p.GRPC)
	}
	clustertest.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		versions := map[uint64][]string{}
		for i, p := range procs {
			resp, err := admins[i].GetRing(callCtx(t), &roomshardv1.GetRingRequest{})
			if err != nil {
				return err
			}
			if len(resp.GetShards()) != n {
				return fmt.Errorf("%s's ring has %d shards, want %d", p.Name, len(resp.GetShards()), n)
			}
			versions[resp.GetVersion()] = append(versions[resp.GetVersion()], p.Name)
		}
		if len(versions) != 1 {
			return fmt.Errorf("ring versions differ: %v", versions)
		}
		return nil
	})
}
