package clustertest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/clustertest"
)

// TestHibernationThousandSockets puts 1,000 hibernatable sockets in one
// room and lets them go idle: the shard evicts the room object while every
// socket stays open, the gateway answers the auto-response without waking
// it, and the next message wakes it with all 1,000 sockets (and their
// attachments) known. Each process holds about 1,000 descriptors here, far
// below the ~20,000 a CI process may open.
func TestHibernationThousandSockets(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process hibernation test; skipped with -short")
	}
	const sockets = 1000
	c := clustertest.StartCluster(t, bins, clustertest.Options{Shards: 1, Gateways: 1,
		ShardArgs: []string{"--storage", "memory", "--hibernate-after", "1s"}})
	g := c.Gateways[0]
	admin := adminClient(t, g.GRPC)

	conns := make([]*websocket.Conn, sockets)
	for i := range conns {
		conns[i] = dial(t, g.HTTP, "/ns/hibernation/rooms/sleepy/websocket")
	}
	req := &roomshardv1.GetRoomRequest{Namespace: "hibernation", Name: "sleepy"}
	asleep := func() error {
		resp, err := admin.GetRoom(callCtx(t), req)
		if err != nil {
			return err
		}
		if n := resp.GetRoom().GetSockets(); n != sockets {
			return fmt.Errorf("room has %d sockets, want %d", n, sockets)
		}
		if !resp.GetRoom().GetHibernated() {
			return fmt.Errorf("room is awake")
		}
		return nil
	}
	clustertest.Eventually(t, 60*time.Second, 100*time.Millisecond, asleep)

	send(t, conns[7], "ping")
	if got := read(t, conns[7]); got != "pong" {
		t.Fatalf("auto-response = %q, want pong", got)
	}
	if err := asleep(); err != nil {
		t.Fatalf("after the auto-response: %v", err)
	}

	send(t, conns[0], "wake up")
	got := read(t, conns[0])
	if !strings.HasPrefix(got, "[Durable Object] message: wake up, from: ") || !strings.HasSuffix(got, fmt.Sprintf(". Total connections: %d", sockets)) {
		t.Fatalf("reply after waking = %q", got)
	}
	// Every socket hears the broadcast: the room rebuilt from the
	// registry knows them all.
	last := conns[sockets-1]
	if b := read(t, last); b != got {
		t.Errorf("broadcast to another socket = %q, want %q", b, got)
	}
	resp, err := admin.GetRoom(callCtx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetRoom().GetHibernated() {
		t.Errorf("room still hibernated after a message")
	}
	withAttachment := 0
	for _, s := range resp.GetSockets() {
		if strings.HasPrefix(string(s.GetAttachment()), `{"id":"`) {
			withAttachment++
		}
	}
	if withAttachment != sockets {
		t.Errorf("%d of %d sockets have their attachment", withAttachment, sockets)
	}
}
