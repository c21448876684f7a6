package admin_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/admin/admintest"
	"github.com/roomshard/roomshard/cluster/roomid"
)

// callCtx bounds one test call.
func callCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if got := status.Code(err); got != code {
		t.Fatalf("got %v (%v), want code %v", got, err, code)
	}
}

// TestClusterAdmin runs every unary method against a cluster of three fake
// shards and one gateway, asking each node in turn.
func TestClusterAdmin(t *testing.T) {
	c := admintest.Start(t, admintest.Options{})
	clients := map[string]roomshardv1.AdminServiceClient{}
	for _, n := range c.Nodes {
		clients[n.Name] = c.Client(n, "")
	}
	gw := clients["g1"]

	t.Run("ListMembers", func(t *testing.T) {
		for _, n := range c.Nodes {
			resp, err := clients[n.Name].ListMembers(callCtx(t), &roomshardv1.ListMembersRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if resp.AnsweredBy != n.Name {
				t.Errorf("answered_by %q, want %q", resp.AnsweredBy, n.Name)
			}
			var names []string
			for _, m := range resp.Members {
				names = append(names, m.Name)
				want := c.Node(m.Name)
				if m.Role != want.Role || m.GrpcAddr != want.GRPCAddr || m.Health != "alive" ||
					m.State != roomshardv1.MemberState_MEMBER_STATE_ACTIVE || m.GossipAddr == "" {
					t.Errorf("%s lists %v", n.Name, m)
				}
				if (m.Role == roomshardv1.Role_ROLE_SHARD) != (len(m.Namespaces) == len(admintest.BuiltinNamespaces())) {
					t.Errorf("%s: namespaces %v", m.Name, m.Namespaces)
				}
			}
			if want := []string{"g1", "s1", "s2", "s3"}; !slices.Equal(names, want) {
				t.Errorf("%s lists %v, want %v", n.Name, names, want)
			}
		}
	})

	t.Run("GetRing", func(t *testing.T) {
		var first *roomshardv1.GetRingResponse
		for _, n := range c.Nodes {
			resp, err := clients[n.Name].GetRing(callCtx(t), &roomshardv1.GetRingRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = resp
			}
			if resp.Version == 0 || resp.Version != first.Version {
				t.Errorf("%s: ring version %x, first node said %x", n.Name, resp.Version, first.Version)
			}
			sum := 0.0
			var names []string
			for _, s := range resp.Shards {
				names = append(names, s.Name)
				sum += s.Share
				if s.VirtualNodes != 256 || s.GrpcAddr != c.Node(s.Name).GRPCAddr {
					t.Errorf("%s: shard %v", n.Name, s)
				}
			}
			if !slices.Equal(names, []string{"s1", "s2", "s3"}) || math.Abs(sum-1) > 1e-9 {
				t.Errorf("%s: shards %v, shares sum to %v", n.Name, names, sum)
			}
		}
	})

	t.Run("LocateRoom", func(t *testing.T) {
		ring := c.Nodes[0].Membership.Ring()
		for i := range 30 {
			name := fmt.Sprintf("room-%d", i)
			id := roomid.FromName("chat", name)
			want, _ := ring.Owner(id)
			for _, n := range c.Nodes {
				resp, err := clients[n.Name].LocateRoom(callCtx(t), &roomshardv1.LocateRoomRequest{Namespace: "chat", Name: name})
				if err != nil {
					t.Fatal(err)
				}
				if resp.Id != id || resp.Owner != want.Name || resp.OwnerGrpcAddr != want.Addr || resp.RingVersion != ring.Version() {
					t.Fatalf("%s locates %s as %v, want %s on %s", n.Name, name, resp, id, want.Name)
				}
			}
			byID, err := gw.LocateRoom(callCtx(t), &roomshardv1.LocateRoomRequest{Id: id})
			if err != nil || byID.Owner != want.Name {
				t.Fatalf("locate by id: %v, %v", byID, err)
			}
		}
	})

	t.Run("LocateRoomErrors", func(t *testing.T) {
		id := roomid.FromName("chat", "x")
		for _, tc := range []struct {
			name string
			req  *roomshardv1.LocateRoomRequest
			code codes.Code
		}{
			{"empty", &roomshardv1.LocateRoomRequest{}, codes.InvalidArgument},
			{"no namespace", &roomshardv1.LocateRoomRequest{Name: "x"}, codes.InvalidArgument},
			{"no name", &roomshardv1.LocateRoomRequest{Namespace: "chat"}, codes.InvalidArgument},
			{"unknown namespace", &roomshardv1.LocateRoomRequest{Namespace: "nope", Name: "x"}, codes.InvalidArgument},
			// Invalid UTF-8 cannot reach the server: proto3 strings refuse it
			// when marshaling; roomid's tests cover CheckName for it.
			{"name too long", &roomshardv1.LocateRoomRequest{Namespace: "chat", Name: strings.Repeat("a", 257)}, codes.InvalidArgument},
			{"uppercase id", &roomshardv1.LocateRoomRequest{Id: strings.ToUpper(id)}, codes.InvalidArgument},
			{"short id", &roomshardv1.LocateRoomRequest{Id: id[:63]}, codes.InvalidArgument},
			{"id of another name", &roomshardv1.LocateRoomRequest{Namespace: "chat", Name: "y", Id: id}, codes.InvalidArgument},
			{"id and its name", &roomshardv1.LocateRoomRequest{Namespace: "chat", Name: "x", Id: id}, codes.OK},
			{"longest name", &roomshardv1.LocateRoomRequest{Namespace: "chat", Name: strings.Repeat("a", 256)}, codes.OK},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := gw.LocateRoom(callCtx(t), tc.req)
				wantCode(t, err, tc.code)
			})
		}
	})

	ids := map[string]string{} // id -> owner
	for i := range 25 {
		ns := []string{"chat", "echo"}[i%2]
		id := c.AddRoom(ns, fmt.Sprintf("r%02d", i), i%4)
		o, _ := c.Nodes[0].Membership.Ring().Owner(id)
		ids[id] = o.Name
	}

	t.Run("ListRooms", func(t *testing.T) {
		for _, n := range c.Nodes {
			var got []*roomshardv1.RoomInfo
			token := ""
			pages := 0
			for {
				resp, err := clients[n.Name].ListRooms(callCtx(t), &roomshardv1.ListRoomsRequest{PageSize: 7, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Unreachable) > 0 || len(resp.Rooms) > 7 {
					t.Fatalf("%s: page of %d rooms, unreachable %v", n.Name, len(resp.Rooms), resp.Unreachable)
				}
				got = append(got, resp.Rooms...)
				pages++
				if token = resp.NextPageToken; token == "" {
					break
				}
			}
			if len(got) != 25 || pages != 4 {
				t.Fatalf("%s: %d rooms in %d pages, want 25 in 4", n.Name, len(got), pages)
			}
			if !slices.IsSortedFunc(got, func(a, b *roomshardv1.RoomInfo) int { return strings.Compare(a.Id, b.Id) }) {
				t.Errorf("%s: rooms not sorted by id", n.Name)
			}
			for _, r := range got {
				if ids[r.Id] != r.Shard {
					t.Errorf("%s: room %s on %s, placed on %s", n.Name, r.Id, r.Shard, ids[r.Id])
				}
			}
		}
	})

	t.Run("ListRoomsFilters", func(t *testing.T) {
		resp, err := gw.ListRooms(callCtx(t), &roomshardv1.ListRoomsRequest{Namespace: "chat"})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Rooms) != 13 || resp.NextPageToken != "" {
			t.Errorf("chat rooms: %d (next %q), want 13", len(resp.Rooms), resp.NextPageToken)
		}
		for _, r := range resp.Rooms {
			if r.Namespace != "chat" {
				t.Errorf("namespace filter let %v through", r)
			}
		}
		onS2 := 0
		for _, o := range ids {
			if o == "s2" {
				onS2++
			}
		}
		resp, err = gw.ListRooms(callCtx(t), &roomshardv1.ListRoomsRequest{Shard: "s2"})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Rooms) != onS2 {
			t.Errorf("s2 rooms: %d, want %d", len(resp.Rooms), onS2)
		}
		for _, r := range resp.Rooms {
			if r.Shard != "s2" {
				t.Errorf("shard filter let %v through", r)
			}
		}
	})

	t.Run("ListRoomsErrors", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			req  *roomshardv1.ListRoomsRequest
			code codes.Code
		}{
			{"unknown shard", &roomshardv1.ListRoomsRequest{Shard: "s9"}, codes.NotFound},
			{"gateway as shard", &roomshardv1.ListRoomsRequest{Shard: "g1"}, codes.InvalidArgument},
			{"unknown namespace", &roomshardv1.ListRoomsRequest{Namespace: "nope"}, codes.InvalidArgument},
			{"bad token", &roomshardv1.ListRoomsRequest{PageToken: "!!"}, codes.InvalidArgument},
			{"negative page size", &roomshardv1.ListRoomsRequest{PageSize: -1}, codes.InvalidArgument},
			{"local on a gateway", &roomshardv1.ListRoomsRequest{Local: true}, codes.FailedPrecondition},
			{"huge page size", &roomshardv1.ListRoomsRequest{PageSize: 1 << 20}, codes.OK},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := gw.ListRooms(callCtx(t), tc.req)
				wantCode(t, err, tc.code)
			})
		}
	})

	roomID := c.AddRoom("chat", "lobby", 3)
	owner := mustOwner(t, c, roomID)

	t.Run("GetRoom", func(t *testing.T) {
		for _, n := range c.Nodes {
			resp, err := clients[n.Name].GetRoom(callCtx(t), &roomshardv1.GetRoomRequest{Namespace: "chat", Name: "lobby"})
			if err != nil {
				t.Fatalf("%s: %v", n.Name, err)
			}
			if resp.Owner != owner || resp.Room.Shard != owner || resp.Room.Id != roomID || len(resp.Sockets) != 3 || resp.Room.Sockets != 3 {
				t.Errorf("%s: %v", n.Name, resp)
			}
		}
		resp, err := gw.GetRoom(callCtx(t), &roomshardv1.GetRoomRequest{Id: roomID})
		if err != nil || resp.Room.Name != "lobby" {
			t.Errorf("by id: %v, %v", resp, err)
		}
		_, err = gw.GetRoom(callCtx(t), &roomshardv1.GetRoomRequest{Namespace: "chat", Name: "empty"})
		wantCode(t, err, codes.NotFound)
		_, err = gw.GetRoom(callCtx(t), &roomshardv1.GetRoomRequest{Id: "zz"})
		wantCode(t, err, codes.InvalidArgument)
	})

	// callsOn returns the calls each fake shard recorded since the last look.
	seen := map[string]int{}
	callsOn := func() map[string][]admintest.Call {
		out := map[string][]admintest.Call{}
		for _, n := range c.Nodes {
			if n.Local == nil {
				continue
			}
			calls := n.Local.Calls()
			if len(calls) > seen[n.Name] {
				out[n.Name] = calls[seen[n.Name]:]
			}
			seen[n.Name] = len(calls)
		}
		return out
	}

	t.Run("Publish", func(t *testing.T) {
		for _, n := range c.Nodes {
			msg := "hello from " + n.Name
			resp, err := clients[n.Name].Publish(callCtx(t), &roomshardv1.PublishRequest{
				Room: &roomshardv1.RoomRef{Namespace: "chat", Name: "lobby"}, Data: []byte(msg),
			})
			if err != nil {
				t.Fatalf("via %s: %v", n.Name, err)
			}
			if resp.Delivered != 3 {
				t.Errorf("via %s: delivered %d, want 3", n.Name, resp.Delivered)
			}
			calls := callsOn()
			if len(calls) != 1 || len(calls[owner]) != 1 {
				t.Fatalf("via %s: calls %v, want one on %s", n.Name, calls, owner)
			}
			if got := calls[owner][0]; got.Method != "Publish" || string(got.Data) != msg || got.RoomID != roomID || got.Binary {
				t.Errorf("via %s: %+v", n.Name, got)
			}
		}
		_, err := gw.Publish(callCtx(t), &roomshardv1.PublishRequest{Data: []byte("x")})
		wantCode(t, err, codes.InvalidArgument)
		_, err = gw.Publish(callCtx(t), &roomshardv1.PublishRequest{Room: &roomshardv1.RoomRef{Namespace: "chat", Name: "nowhere"}})
		wantCode(t, err, codes.NotFound) // the fake's own answer passes through
		callsOn()
	})

	t.Run("CloseSockets", func(t *testing.T) {
		resp, err := gw.CloseSockets(callCtx(t), &roomshardv1.CloseSocketsRequest{
			Room: &roomshardv1.RoomRef{Id: roomID}, SocketIds: []string{"lobby-2"}, Reason: "bye",
		})
		if err != nil || resp.Closed != 1 {
			t.Fatalf("closed %v, %v", resp, err)
		}
		calls := callsOn()
		got := calls[owner]
		if len(calls) != 1 || len(got) != 1 || got[0].Code != 1000 || got[0].Reason != "bye" || !slices.Equal(got[0].SocketIDs, []string{"lobby-2"}) {
			t.Fatalf("calls %+v", calls)
		}
		resp, err = gw.CloseSockets(callCtx(t), &roomshardv1.CloseSocketsRequest{Room: &roomshardv1.RoomRef{Id: roomID}, Code: 4000})
		if err != nil || resp.Closed != 2 {
			t.Fatalf("closing the rest: %v, %v", resp, err)
		}
		if got := callsOn()[owner]; len(got) != 1 || got[0].Code != 4000 {
			t.Fatalf("calls %+v", got)
		}
		for _, code := range []int32{1005, 1006, 1015, 2000, 5000} {
			_, err = gw.CloseSockets(callCtx(t), &roomshardv1.CloseSocketsRequest{Room: &roomshardv1.RoomRef{Id: roomID}, Code: code})
			wantCode(t, err, codes.InvalidArgument)
		}
		_, err = gw.CloseSockets(callCtx(t), &roomshardv1.CloseSocketsRequest{Room: &roomshardv1.RoomRef{Id: roomID}, Reason: strings.Repeat("r", 124)})
		wantCode(t, err, codes.InvalidArgument)
	})

	t.Run("DrainShard", func(t *testing.T) {
		resp, err := gw.DrainShard(callCtx(t), &roomshardv1.DrainShardRequest{Shard: "s2"})
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(len(c.Node("s2").Local.Rooms(context.Background()))); resp.Rooms != want {
			t.Errorf("rooms %d, want %d", resp.Rooms, want)
		}
		calls := callsOn()
		if len(calls) != 1 || len(calls["s2"]) != 1 || calls["s2"][0].Method != "Drain" {
			t.Fatalf("calls %+v, want one Drain on s2", calls)
		}
		// A shard asked to drain itself answers in process.
		if _, err := clients["s1"].DrainShard(callCtx(t), &roomshardv1.DrainShardRequest{Shard: "s1"}); err != nil {
			t.Fatal(err)
		}
		if calls := callsOn(); len(calls["s1"]) != 1 || len(calls) != 1 {
			t.Fatalf("calls %+v, want one Drain on s1", calls)
		}
		_, err = gw.DrainShard(callCtx(t), &roomshardv1.DrainShardRequest{Shard: "s9"})
		wantCode(t, err, codes.NotFound)
		_, err = gw.DrainShard(callCtx(t), &roomshardv1.DrainShardRequest{Shard: "g1"})
		wantCode(t, err, codes.InvalidArgument)
		_, err = gw.DrainShard(callCtx(t), &roomshardv1.DrainShardRequest{})
		wantCode(t, err, codes.InvalidArgument)
		_, err = clients["s3"].DrainShard(callCtx(t), &roomshardv1.DrainShardRequest{Shard: "s1", Local: true})
		wantCode(t, err, codes.FailedPrecondition)
	})

	t.Run("NewUniqueId", func(t *testing.T) {
		a, err := gw.NewUniqueId(callCtx(t), &roomshardv1.NewUniqueIdRequest{Namespace: "chat"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := gw.NewUniqueId(callCtx(t), &roomshardv1.NewUniqueIdRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if roomid.CheckID(a.Id) != nil || roomid.CheckID(b.Id) != nil || a.Id == b.Id {
			t.Errorf("ids %q %q", a.Id, b.Id)
		}
		_, err = gw.NewUniqueId(callCtx(t), &roomshardv1.NewUniqueIdRequest{Namespace: "nope"})
		wantCode(t, err, codes.InvalidArgument)
	})
}

// TestListRoomsUnreachable lists rooms while one shard is a member whose
// gRPC server is down: the others' rooms come back and it is named.
func TestListRoomsUnreachable(t *testing.T) {
	c := admintest.Start(t, admintest.Options{})
	for i := range 12 {
		c.AddRoom("echo", fmt.Sprintf("u%d", i), 1)
	}
	down := c.Node("s3")
	held := len(down.Local.Rooms(context.Background()))
	down.StopGRPC()
	resp, err := c.Client(c.Node("g1"), "").ListRooms(callCtx(t), &roomshardv1.ListRoomsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(resp.Unreachable, []string{"s3"}) || len(resp.Rooms) != 12-held {
		t.Errorf("unreachable %v, %d rooms; want [s3], %d", resp.Unreachable, len(resp.Rooms), 12-held)
	}
	id := ""
	for i := 0; id == ""; i++ {
		if rid := roomid.FromName("echo", fmt.Sprintf("u%d", i)); mustOwner(t, c, rid) == "s3" {
			id = rid
		}
	}
	_, err = c.Client(c.Node("g1"), "").GetRoom(callCtx(t), &roomshardv1.GetRoomRequest{Id: id})
	wantCode(t, err, codes.Unavailable)
	if !strings.Contains(status.Convert(err).Message(), "s3") {
		t.Errorf("error does not name the shard: %v", err)
	}
}

func mustOwner(t *testing.T, c *admintest.Cluster, id string) string {
	t.Helper()
	n, ok := c.Nodes[0].Membership.Ring().Owner(id)
	if !ok {
		t.Fatal("empty ring")
	}
	return n.Name
}
