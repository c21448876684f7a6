package clustertest_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/clustertest"
)

// TestCluster runs 3 shards and 2 gateways as real processes and checks what
// a user sees through them. Subtests share the cluster and run in order.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process cluster test; skipped with -short")
	}
	c := clustertest.StartCluster(t, bins, clustertest.Options{Shards: 3, Gateways: 2, ShardArgs: []string{"--storage", "memory"}})
	g1, g2 := c.Gateways[0], c.Gateways[1]
	waitForMembers(t, c, 5)

	t.Run("broadcast across gateways", func(t *testing.T) {
		a := dial(t, g1.HTTP, "/rooms/lobby/websocket")
		b := dial(t, g2.HTTP, "/rooms/lobby/websocket")
		clustertest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
			if got := connections(t, g1.HTTP, "/rooms/lobby/connections"); got != countText(2) {
				return fmt.Errorf("count = %q", got)
			}
			return nil
		})

		send(t, a, "hello")
		toSender := read(t, a)
		m := regexp.MustCompile(`^\[Durable Object\] message: hello, from: ([0-9a-f-]{36}), to: the initiating client\. Total connections: 2$`).FindStringSubmatch(toSender)
		if m == nil {
			t.Fatalf("sender's first message = %q", toSender)
		}
		id := m[1]
		prefix := "[Durable Object] message: hello, from: " + id + ", to: "
		if got, want := read(t, a), prefix+"all clients. Total connections: 2"; got != want {
			t.Errorf("sender's second message = %q, want %q", got, want)
		}
		if got, want := read(t, b), prefix+"all clients except the initiating client. Total connections: 2"; got != want {
			t.Errorf("other client's first message = %q, want %q", got, want)
		}
		if got, want := read(t, b), prefix+"all clients. Total connections: 2"; got != want {
			t.Errorf("other client's second message = %q, want %q", got, want)
		}
	})

	t.Run("connections count across gateways", func(t *testing.T) {
		dial(t, g1.HTTP, "/ns/echo/rooms/counted/websocket")
		dial(t, g2.HTTP, "/ns/echo/rooms/counted/websocket")
		dial(t, g2.HTTP, "/ns/echo/rooms/counted/websocket")
		for _, g := range c.Gateways {
			clustertest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
				if got := connections(t, g.HTTP, "/ns/echo/rooms/counted/connections"); got != countText(3) {
					return fmt.Errorf("%s: count = %q", g.Name, got)
				}
				return nil
			})
		}
		code, body := get(t, "http://"+g1.HTTP+"/ns/echo/rooms/counted/connections", http.Header{"Accept": {"application/json"}})
		if code != http.StatusOK || strings.TrimSpace(body) != `{"connections":3}` {
			t.Errorf("JSON count = %d %q", code, body)
		}
	})

	t.Run("echo", func(t *testing.T) {
		e := dial(t, g2.HTTP, "/ns/echo/rooms/x/websocket")
		send(t, e, "ping me")
		if got := read(t, e); got != "[Durable Object]: ping me" {
			t.Errorf("echo = %q", got)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		cases := []struct {
			method, path string
			upgrade      bool
			want         int
		}{
			{http.MethodGet, "/rooms/lobby/websocket", false, http.StatusUpgradeRequired},
			{http.MethodGet, "/websocket", false, http.StatusUpgradeRequired},
			{http.MethodPost, "/rooms/lobby/websocket", true, http.StatusBadRequest},
			{http.MethodGet, "/ns/nosuch/rooms/lobby/websocket", true, http.StatusNotFound},
			{http.MethodGet, "/ns/nosuch/rooms/lobby/connections", false, http.StatusNotFound},
			{http.MethodGet, "/ns/echo/objects/not-hex/websocket", true, http.StatusBadRequest},
			{http.MethodGet, "/rooms/" + strings.Repeat("a", 257) + "/websocket", true, http.StatusBadRequest},
			{http.MethodGet, "/rooms/%ff/websocket", true, http.StatusBadRequest},
		}
		for _, tc := range cases {
			req, _ := http.NewRequest(tc.method, "http://"+g1.HTTP+tc.path, nil)
			if tc.upgrade {
				req.Header.Set("Connection", "Upgrade")
				req.Header.Set("Upgrade", "websocket")
				req.Header.Set("Sec-WebSocket-Version", "13")
				req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.method, tc.path, err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("%s %.40s: status %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
			}
		}
	})

	t.Run("1000 rooms routed to one owner by both gateways", func(t *testing.T) {
		testRoutingAgreement(t, c, 1000)
	})

	t.Run("killing a gateway leaves the others working", func(t *testing.T) {
		a := dial(t, g1.HTTP, "/rooms/survivor/websocket")
		dial(t, g2.HTTP, "/rooms/survivor/websocket")
		clustertest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
			if got := connections(t, g1.HTTP, "/rooms/survivor/connections"); got != countText(2) {
				return fmt.Errorf("count = %q", got)
			}
			return nil
		})
		g2.Kill()
		clustertest.Eventually(t, 15*time.Second, 100*time.Millisecond, func() error {
			if got := connections(t, g1.HTTP, "/rooms/survivor/connections"); got != countText(1) {
				return fmt.Errorf("count after killing g2 = %q", got)
			}
			return nil
		})
		send(t, a, "still here")
		if got := read(t, a); !strings.HasSuffix(got, "to: the initiating client. Total connections: 1") {
			t.Errorf("after killing g2: %q", got)
		}
		e := dial(t, g1.HTTP, "/ns/echo/rooms/after-kill/websocket")
		send(t, e, "x")
		if got := read(t, e); got != "[Durable Object]: x" {
			t.Errorf("new room after killing g2: %q", got)
		}
	})
}

// waitForMembers waits until every process sees n members.
func waitForMembers(t *testing.T, c *clustertest.Cluster, n int) {
	t.Helper()
	for _, p := range append(append([]*clustertest.Proc{}, c.Shards...), c.Gateways...) {
		admin := adminClient(t, p.GRPC)
		clustertest.Eventually(t, 20*time.Second, 100*time.Millisecond, func() error {
			resp, err := admin.ListMembers(callCtx(t), &roomshardv1.ListMembersRequest{})
			if err != nil {
				return err
			}
			if len(resp.GetMembers()) != n {
				return fmt.Errorf("%s sees %d members, want %d", p.Name, len(resp.GetMembers()), n)
			}
			return nil
		})
	}
}

// testRoutingAgreement connects one client per gateway to each of n rooms and
// checks that each room is hosted by exactly the shard LocateRoom names, on
// every node, with both gateways' streams in it.
func testRoutingAgreement(t *testing.T, c *clustertest.Cluster, n int) {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("room-%04d", i)
	}
	var wg sync.WaitGroup
	conns := make(chan *websocket.Conn, 2*n)
	errs := make(chan error, 2*n)
	work := make(chan string)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range work {
				for _, g := range c.Gateways {
					conn, _, err := websocket.DefaultDialer.Dial("ws://"+g.HTTP+"/ns/echo/rooms/"+name+"/websocket", nil)
					if err != nil {
						errs <- fmt.Errorf("%s via %s: %w", name, g.Name, err)
						continue
					}
					conns <- conn
				}
			}
		}()
	}
	for _, name := range names {
		work <- name
	}
	close(work)
	wg.Wait()
	close(conns)
	close(errs)
	t.Cleanup(func() {
		for conn := range conns {
			_ = conn.Close()
		}
	})
	for err := range errs {
		t.Fatal(err)
	}

	// Where does each node say each room lives?
	owners := map[string]string{} // id -> owner
	ids := map[string]string{}    // name -> id
	for _, p := range append(append([]*clustertest.Proc{}, c.Gateways...), c.Shards...) {
		admin := adminClient(t, p.GRPC)
		for _, name := range names {
			loc, err := admin.LocateRoom(callCtx(t), &roomshardv1.LocateRoomRequest{Namespace: "echo", Name: name})
			if err != nil {
				t.Fatalf("LocateRoom(%s) on %s: %v", name, p.Name, err)
			}
			if prev, ok := owners[loc.GetId()]; ok && prev != loc.GetOwner() {
				t.Fatalf("%s: %s says owner %s, another node said %s", name, p.Name, loc.GetOwner(), prev)
			}
			owners[loc.GetId()] = loc.GetOwner()
			ids[name] = loc.GetId()
		}
	}

	// Every room is hosted by that owner with a stream from each gateway.
	admin := adminClient(t, c.Gateways[0].GRPC)
	clustertest.Eventually(t, 20*time.Second, 200*time.Millisecond, func() error {
		hosted := map[string]*roomshardv1.RoomInfo{}
		token := ""
		for {
			resp, err := admin.ListRooms(callCtx(t), &roomshardv1.ListRoomsRequest{Namespace: "echo", PageSize: 1000, PageToken: token})
			if err != nil {
				return err
			}
			if len(resp.GetUnreachable()) > 0 {
				return fmt.Errorf("unreachable shards: %v", resp.GetUnreachable())
			}
			for _, r := range resp.GetRooms() {
				if prev, dup := hosted[r.GetId()]; dup {
					return fmt.Errorf("room %s listed on %s and %s", r.GetId(), prev.GetShard(), r.GetShard())
				}
				hosted[r.GetId()] = r
			}
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
		perShard := map[string]int{}
		for _, name := range names {
			r, ok := hosted[ids[name]]
			if !ok {
				return fmt.Errorf("room %s is not hosted anywhere", name)
			}
			if r.GetShard() != owners[ids[name]] {
				return fmt.Errorf("room %s hosted on %s but located on %s", name, r.GetShard(), owners[ids[name]])
			}
			if r.GetSockets() != 2 || r.GetGateways() != 2 {
				return fmt.Errorf("room %s: %d sockets over %d gateway streams, want 2 over 2", name, r.GetSockets(), r.GetGateways())
			}
			perShard[r.GetShard()]++
		}
		if len(perShard) != len(c.Shards) {
			return fmt.Errorf("rooms spread over %d shards, want all %d: %v", len(perShard), len(c.Shards), perShard)
		}
		t.Logf("rooms per shard: %v", perShard)
		return nil
	})
}
