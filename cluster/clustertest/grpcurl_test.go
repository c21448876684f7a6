package clustertest_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/roomshard/roomshard/cluster/clustertest"
	"github.com/roomshard/roomshard/cluster/roomid"
)

// TestGRPCurl runs the real grpcurl against a real shard and gateway
// (SPEC §8: reflection and health on every gRPC server): it lists the
// services, and calls LocateRoom and ListMembers. CI installs grpcurl;
// elsewhere the test is skipped when it is not on PATH.
func TestGRPCurl(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test; skipped with -short")
	}
	bin, err := exec.LookPath("grpcurl")
	if err != nil {
		t.Skip("grpcurl not on PATH; install it with: go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4")
	}
	c := clustertest.StartCluster(t, bins, clustertest.Options{Shards: 1, Gateways: 1})
	grpcurl := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, append([]string{"-plaintext"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("grpcurl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	for _, p := range []*clustertest.Proc{c.Shards[0], c.Gateways[0]} {
		services := grpcurl(p.GRPC, "list")
		want := []string{"roomshard.v1.AdminService", "grpc.health.v1.Health"}
		if p.Role == clustertest.RoleShard {
			want = append(want, "roomshard.v1.ShardService")
		}
		for _, s := range want {
			if !strings.Contains(services, s) {
				t.Errorf("%s: grpcurl list lacks %s:\n%s", p.Name, s, services)
			}
		}

		var loc struct {
			ID    string `json:"id"`
			Owner string `json:"owner"`
		}
		out := grpcurl("-d", `{"namespace":"chat","name":"lobby"}`, p.GRPC, "roomshard.v1.AdminService/LocateRoom")
		if err := json.Unmarshal([]byte(out), &loc); err != nil || loc.ID != roomid.FromName("chat", "lobby") || loc.Owner != c.Shards[0].Name {
			t.Errorf("%s: LocateRoom = %s (%v)", p.Name, out, err)
		}

		var members struct {
			Members []struct {
				Name string `json:"name"`
			} `json:"members"`
		}
		out = grpcurl(p.GRPC, "roomshard.v1.AdminService/ListMembers")
		if err := json.Unmarshal([]byte(out), &members); err != nil || len(members.Members) != 2 {
			t.Errorf("%s: ListMembers = %s (%v)", p.Name, out, err)
		}
	}
}
