package ops

import (
	"context"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
)

// NewGRPCServer returns a gRPC server with grpc.health.v1 and server
// reflection registered, so grpcurl works against it. The health server is
// returned so the caller can mark services serving or not.
func NewGRPCServer(opts ...grpc.ServerOption) (*grpc.Server, *health.Server) {
	srv := grpc.NewServer(opts...)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv)
	return srv, hs
}

// ServeGRPC serves srv on ln in a goroutine; the returned function stops it
// gracefully, falling back to Stop when ctx ends first.
func ServeGRPC(srv *grpc.Server, ln net.Listener, errorLog func(error)) (stop func(ctx context.Context)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && errorLog != nil {
			errorLog(err)
		}
	}()
	return func(ctx context.Context) {
		stopped := make(chan struct{})
		go func() {
			srv.GracefulStop()
			close(stopped)
		}()
		select {
		case <-stopped:
		case <-ctx.Done():
			srv.Stop()
			<-stopped
		}
		<-done
	}
}

// DefaultShutdownTimeout bounds a graceful stop.
const DefaultShutdownTimeout = 10 * time.Second
