package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/keepalive"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/admin"
	"github.com/roomshard/roomshard/cluster/membership"
	"github.com/roomshard/roomshard/cluster/ops"
	"github.com/roomshard/roomshard/shard"
	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/backends"
)

// Server is a running shard process.
type Server struct {
	cfg     Config
	log     *slog.Logger
	reg     *prometheus.Registry
	members *membership.Membership
	host    *shard.Host
	store   storage.Backend
	service *Service
	admin   *admin.Server
	health  *health.Server
	// ringWatch stops the ring metrics' membership subscription.
	ringWatch func()
	rebal     *rebalancer
	stopGRPC  func(context.Context)
	stopHTTP  func(context.Context) error
	httpAddr  string
	grpcAddr  string

	stopping atomic.Bool
	shutdown sync.Once
	err      error // Shutdown's result
}

// New starts a shard: it listens on cfg's addresses, joins the cluster
// (retrying in the background until ctx ends or Shutdown) and serves. The
// process lives until Shutdown; ctx only bounds joining.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*Server, error) {
	cfg.ensureDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("node", cfg.Name)
	namespaces, err := shard.Bind(cfg.Classes, cfg.Namespaces)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s := &Server{cfg: cfg, log: logger, reg: ops.NewRegistry()}
	if s.store, err = backends.OpenWith(ctx, cfg.Storage, backends.Options{Node: cfg.Name}); err != nil {
		return nil, fmt.Errorf("shard: opening storage: %w", err)
	}
	started := false
	defer func() {
		if !started {
			_ = s.store.Close()
		}
	}()

	grpcLn, err := ops.Listen(cfg.GRPCAddr)
	if err != nil {
		return nil, err
	}
	httpLn, err := ops.Listen(cfg.HTTPAddr)
	if err != nil {
		_ = grpcLn.Close()
		return nil, err
	}
	tlsOpts, err := cfg.TLS.ServerOptions()
	if err != nil {
		_ = grpcLn.Close()
		_ = httpLn.Close()
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	dialOpt, err := cfg.TLS.DialOption(cfg.TLSServerName)
	if err != nil {
		_ = grpcLn.Close()
		_ = httpLn.Close()
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s.grpcAddr = ops.AdvertiseAddr(grpcLn.Addr(), cfg.Advertise)
	s.httpAddr = ops.AdvertiseAddr(httpLn.Addr(), cfg.Advertise)

	s.members, err = membership.Start(ctx, membership.Config{
		Name:          cfg.Name,
		Role:          roomshardv1.Role_ROLE_SHARD,
		BindAddr:      cfg.GossipAddr,
		AdvertiseAddr: ops.GossipAdvertise(cfg.GossipAddr, cfg.Advertise),
		Join:          cfg.Join,
		GRPCAddr:      s.grpcAddr,
		HTTPAddr:      s.httpAddr,
		Namespaces:    shard.BindingList(namespaces),
		GossipKey:     cfg.GossipKey,
		Logger:        logger,
	})
	if err != nil {
		_ = grpcLn.Close()
		_ = httpLn.Close()
		return nil, err
	}
	s.host, err = shard.NewHost(shard.HostConfig{
		Node:       cfg.Name,
		Namespaces: namespaces,
		Ring:       s.members.Ring,
		Alive: func(name string) bool {
			_, ok := s.members.Member(name)
			return ok
		},
		SetState:       s.members.SetState,
		HibernateAfter: cfg.HibernateAfter,
		Logger:         logger,
		Metrics:        shard.NewMetrics(s.reg),
		Storage:        s.store,
	})
	if err != nil {
		_ = s.members.Shutdown()
		_ = grpcLn.Close()
		_ = httpLn.Close()
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}

	gs, hs := ops.NewGRPCServer(append(tlsOpts,
		// Find gateways that vanished without closing their connections,
		// so their sockets' close handlers run.
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 20 * time.Second, Timeout: 10 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
	)...)
	s.health = hs
	s.rebal = startRebalancer(s.members, s.host)
	s.service = NewService(s.host, logger, cfg.StreamQueueFrames, cfg.StreamQueueBytes)
	s.service.MaxRooms = cfg.MaxRooms
	s.ringWatch = watchRing(s.members, ops.NewRingMetrics(s.reg))
	s.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "roomshard_shard_rooms_hibernated", Help: "Rooms held by this shard whose object is evicted (hibernated).",
	}, func() float64 { return float64(s.host.Hibernated()) }))
	roomshardv1.RegisterShardServiceServer(gs, s.service)
	s.admin = admin.NewServer(admin.Config{Membership: s.members, Local: s.host, Logger: logger, Token: cfg.AdminToken,
		DialOptions: []grpc.DialOption{dialOpt}})
	s.admin.Register(gs)
	s.stopGRPC = ops.ServeGRPC(gs, grpcLn, func(err error) { logger.Error("serving gRPC", "err", err) })

	mux := http.NewServeMux()
	ops.Mount(mux, s.reg, s.ready)
	if cfg.Pprof {
		ops.MountPprof(mux)
	}
	s.stopHTTP = ops.ServeHTTP(httpLn, mux, func(err error) { logger.Error("serving HTTP", "err", err) })

	logger.Info("shard started", "grpc", s.grpcAddr, "http", s.httpAddr, "gossip", s.members.GossipAddr(),
		"namespaces", shard.BindingList(namespaces), "storage", redactStorage(cfg.Storage))
	started = true
	return s, nil
}

// ready is /readyz: joined once another member is known, or at once when
// there is no one to join.
func (s *Server) ready() error {
	if s.stopping.Load() {
		return errors.New("shutting down")
	}
	if len(s.cfg.Join) > 0 && len(s.members.Members()) < 2 {
		return errors.New("not joined: no other cluster member seen yet")
	}
	return nil
}

// HTTPAddr is the address the ops HTTP server is reachable at (the
// advertised host with the bound port).
func (s *Server) HTTPAddr() string { return s.httpAddr }

// GRPCAddr is the address the gRPC server is reachable at, as gossiped.
func (s *Server) GRPCAddr() string { return s.grpcAddr }

// GossipAddr is the address memberlist advertises, with the bound port.
func (s *Server) GossipAddr() string { return s.members.GossipAddr() }

// Name is the node's name.
func (s *Server) Name() string { return s.cfg.Name }

// Host is the shard's room runtime.
func (s *Server) Host() *shard.Host { return s.host }

// Membership is the node's view of the cluster.
func (s *Server) Membership() *membership.Membership { return s.members }

// Config returns the configuration with defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Drained is closed once a drain (admin DrainShard) has handed off every
// room, or its deadline passed: the process should Shutdown and exit.
func (s *Server) Drained() <-chan struct{} { return s.rebal.drained }

// Shutdown stops the shard, bounded by ctx: it marks the node draining,
// refuses new room streams and stops the rooms (gateways get RoomMoving
// and re-open them elsewhere), leaves the cluster, stops gRPC gracefully
// (then forcibly at ctx's end) and the HTTP server. Later calls return the
// first call's result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdown.Do(func() { s.err = s.stop(ctx) })
	return s.err
}

func (s *Server) stop(ctx context.Context) error {
	s.stopping.Store(true)
	s.health.Shutdown()
	var errs []error
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	if err := s.members.SetState(dctx, roomshardv1.MemberState_MEMBER_STATE_DRAINING); err != nil {
		s.log.Warn("gossiping draining state", "err", err)
	}
	cancel()
	s.rebal.stop()
	if err := s.host.Close(ctx); err != nil {
		errs = append(errs, err)
	}
	// The rooms have stopped (or ctx ended and their commits fail fast).
	if err := s.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("closing storage: %w", err))
	}
	s.ringWatch()
	if err := s.admin.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := s.members.Leave(leaveTimeout(ctx)); err != nil {
		s.log.Warn("leaving cluster", "err", err)
	}
	if err := s.members.Shutdown(); err != nil {
		errs = append(errs, err)
	}
	s.service.Close()
	s.stopGRPC(ctx)
	s.service.Wait()
	if err := s.stopHTTP(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stopping HTTP: %w", err))
	}
	s.log.Info("shard stopped")
	return errors.Join(errs...)
}

// leaveTimeout gives memberlist's leave broadcast up to a second, within ctx.
func leaveTimeout(ctx context.Context) time.Duration {
	d := time.Second
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl) / 2; left < d {
			d = max(left, 10*time.Millisecond)
		}
	}
	return d
}
