package admin_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/admin/admintest"
)

// watcher reads a WatchCluster stream on its own goroutine, which ends
// when the stream does.
type watcher struct {
	events chan *roomshardv1.WatchClusterResponse
	done   chan error
	cancel context.CancelFunc
}

func watch(t *testing.T, client roomshardv1.AdminServiceClient) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := client.WatchCluster(ctx, &roomshardv1.WatchClusterRequest{})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	w := &watcher{events: make(chan *roomshardv1.WatchClusterResponse, 100), done: make(chan error, 1), cancel: cancel}
	go func() {
		for {
			ev, err := stream.Recv()
			if err != nil {
				w.done <- err
				return
			}
			w.events <- ev
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-w.done
	})
	return w
}

// next waits for an event that match accepts, skipping others.
func (w *watcher) next(t *testing.T, what string, match func(*roomshardv1.WatchClusterResponse) bool) *roomshardv1.WatchClusterResponse {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-w.events:
			if match(ev) {
				return ev
			}
		case err := <-w.done:
			t.Fatalf("stream ended waiting for %s: %v", what, err)
		case <-timeout:
			t.Fatalf("no %s within 10s", what)
		}
	}
}

func TestWatchCluster(t *testing.T) {
	c := admintest.Start(t, admintest.Options{})
	g1 := c.Node("g1")
	w := watch(t, c.Client(g1, ""))

	first := w.next(t, "initial ring", func(*roomshardv1.WatchClusterResponse) bool { return true })
	if r := first.GetRing(); r == nil || r.Version != g1.Membership.Ring().Version() || !slices.Equal(r.Shards, []string{"s1", "s2", "s3"}) {
		t.Fatalf("first event %v, want the current ring", first)
	}
	admintest.WaitFor(t, 5*time.Second, func() error {
		if n := g1.Admin.Watchers(); n != 1 {
			return fmt.Errorf("%d watchers, want 1", n)
		}
		return nil
	})

	c.AddNode("s4", roomshardv1.Role_ROLE_SHARD)
	join := w.next(t, "join of s4", func(ev *roomshardv1.WatchClusterResponse) bool {
		return ev.GetMember().GetKind() == "join" && ev.GetMember().GetMember().GetName() == "s4"
	})
	if m := join.GetMember().GetMember(); m.Role != roomshardv1.Role_ROLE_SHARD || m.GrpcAddr != c.Node("s4").GRPCAddr || join.AtUnixMs == 0 {
		t.Errorf("join event %v", join)
	}
	w.next(t, "ring with s4", func(ev *roomshardv1.WatchClusterResponse) bool {
		return slices.Equal(ev.GetRing().GetShards(), []string{"s1", "s2", "s3", "s4"})
	})

	c.Remove("s4")
	leave := w.next(t, "leave of s4", func(ev *roomshardv1.WatchClusterResponse) bool {
		return ev.GetMember().GetKind() == "leave" && ev.GetMember().GetMember().GetName() == "s4"
	})
	if h := leave.GetMember().GetMember().GetHealth(); h != "left" {
		t.Errorf("leave event health %q, want left", h)
	}

	w.cancel()
	select {
	case err := <-w.done:
		if status.Code(err) != codes.Canceled {
			t.Errorf("stream ended with %v, want Canceled", err)
		}
		w.done <- err // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("stream did not end on cancel")
	}
	admintest.WaitFor(t, 5*time.Second, func() error {
		if n := g1.Admin.Watchers(); n != 0 {
			return fmt.Errorf("%d watchers left after cancel", n)
		}
		return nil
	})
}

// TestWatchClusterEndsOnClose: Close ends open streams so a graceful stop
// of the gRPC server does not wait for watchers.
func TestWatchClusterEndsOnClose(t *testing.T) {
	c := admintest.Start(t, admintest.Options{Shards: 1})
	s1 := c.Node("s1")
	w := watch(t, c.Client(s1, ""))
	w.next(t, "initial ring", func(*roomshardv1.WatchClusterResponse) bool { return true })
	if err := s1.Admin.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-w.done:
		if status.Code(err) != codes.Unavailable {
			t.Errorf("stream ended with %v, want Unavailable", err)
		}
		w.done <- err
	case <-time.After(5 * time.Second):
		t.Fatal("stream did not end on Close")
	}
	if n := s1.Admin.Watchers(); n != 0 {
		t.Errorf("%d watchers after Close", n)
	}
}
