package admin_test

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/admin"
	"github.com/roomshard/roomshard/cluster/admin/admintest"
	"github.com/roomshard/roomshard/cluster/membership"
	"github.com/roomshard/roomshard/cluster/ops"
)

func TestToken(t *testing.T) {
	const token = "s3cret"
	c := admintest.Start(t, admintest.Options{Shards: 2, Token: token})
	g1 := c.Node("g1")
	id := c.AddRoom("chat", "secure", 2)

	for _, tc := range []struct {
		name  string
		token string
		md    []string // raw metadata instead of token
		code  codes.Code
	}{
		{name: "missing", code: codes.Unauthenticated},
		{name: "wrong", token: "s3cres", code: codes.Unauthenticated},
		{name: "prefix of the right one", token: "s3c", code: codes.Unauthenticated},
		{name: "right", token: token, code: codes.OK},
		{name: "no scheme", md: []string{"authorization", token}, code: codes.Unauthenticated},
		{name: "basic scheme", md: []string{"authorization", "Basic " + token}, code: codes.Unauthenticated},
		{name: "lowercase scheme", md: []string{"authorization", "bearer " + token}, code: codes.OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := c.Client(g1, tc.token)
			ctx := callCtx(t)
			if tc.md != nil {
				ctx = metadata.AppendToOutgoingContext(ctx, tc.md...)
			}
			_, err := client.ListMembers(ctx, &roomshardv1.ListMembersRequest{})
			wantCode(t, err, tc.code)
			// GetRoom is forwarded from the gateway to a shard, which checks
			// the token again: the gateway must pass its own along.
			_, err = client.GetRoom(ctx, &roomshardv1.GetRoomRequest{Id: id})
			wantCode(t, err, tc.code)
			stream, err := client.WatchCluster(ctx, &roomshardv1.WatchClusterRequest{})
			if err == nil {
				_, err = stream.Recv()
			}
			wantCode(t, err, tc.code)
		})
	}

	t.Run("health and reflection stay open", func(t *testing.T) {
		conn := c.Conn(g1, "")
		resp, err := healthpb.NewHealthClient(conn).Check(callCtx(t), &healthpb.HealthCheckRequest{})
		if err != nil || resp.Status != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health: %v, %v", resp, err)
		}
	})
}

// TestRegisterEnforcesToken serves the admin service without the
// interceptors: Register alone still checks the token.
func TestRegisterEnforcesToken(t *testing.T) {
	m, err := membership.Start(context.Background(), membership.Config{
		Name: "solo", Role: roomshardv1.Role_ROLE_GATEWAY, BindAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	srv := admin.NewServer(admin.Config{Membership: m, Token: "t", Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(func() { _ = srv.Close() })
	gs, _ := ops.NewGRPCServer()
	srv.Register(gs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop := ops.ServeGRPC(gs, ln, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		stop(ctx)
	})

	for _, tc := range []struct {
		token string
		code  codes.Code
	}{{"", codes.Unauthenticated}, {"x", codes.Unauthenticated}, {"t", codes.OK}} {
		opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
		if tc.token != "" {
			opts = append(opts, grpc.WithPerRPCCredentials(admin.BearerToken(tc.token)))
		}
		cc, err := grpc.NewClient(ln.Addr().String(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		client := roomshardv1.NewAdminServiceClient(cc)
		_, err = client.GetRing(callCtx(t), &roomshardv1.GetRingRequest{})
		wantCode(t, err, tc.code)
		stream, err := client.WatchCluster(callCtx(t), &roomshardv1.WatchClusterRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		wantCode(t, err, tc.code)
		_ = cc.Close()
	}
}
