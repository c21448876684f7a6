package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/admin"
	"github.com/roomshard/roomshard/cluster/membership"
	"github.com/roomshard/roomshard/cluster/ops"
)

// Gateway is one running gateway node.
type Gateway struct {
	cfg      Config
	log      *slog.Logger
	reg      *prometheus.Registry
	metrics  *metrics
	limits   clientLimits
	conns    *connLimiter
	ring     *ops.RingMetrics
	upgrader *websocket.Upgrader
	members  *membership.Membership
	dialer   *dialer
	links    *links
	rooms    *rooms
	admin    *admin.Server
	health   *health.Server
	mux      *http.ServeMux

	httpLn, grpcLn net.Listener
	stopHTTP       func(context.Context) error
	stopGRPC       func(context.Context)
	hardStop       context.CancelFunc
	watchDone      chan struct{}
	stopWatch      func()

	shutdownOnce sync.Once
	shutdownErr  error
}

// New starts a gateway: it listens on cfg's HTTP and gRPC addresses, joins
// the cluster and serves until Shutdown. ctx bounds the start only.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (g *Gateway, err error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.ensureDefaults()
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("node", cfg.Name)
	hard, hardStop := context.WithCancel(context.WithoutCancel(ctx))
	reg := ops.NewRegistry()
	grpcOpts, dialOpt, err := grpcSecurity(cfg)
	if err != nil {
		hardStop()
		return nil, err
	}
	g = &Gateway{
		cfg:      cfg,
		log:      logger,
		reg:      reg,
		metrics:  newMetrics(reg),
		upgrader: newUpgrader(cfg.HandshakeTimeout),
		dialer:   newDialer(dialOpt),
		conns:    newConnLimiter(cfg.MaxConnections, cfg.MaxConnectionsPerIP, cfg.MaxConnectionsPerRoom),
		ring:     ops.NewRingMetrics(reg),
		hardStop: hardStop,
		limits: clientLimits{
			sendQueue: cfg.SendQueue, maxMessage: cfg.MaxMessageSize, pingInterval: cfg.PingInterval,
			writeTimeout: cfg.WriteTimeout, closeWait: cfg.CloseWait,
			rate: cfg.RateLimit, burst: cfg.RateBurst,
		},
	}
	var cleanup []func()
	defer func() {
		if err != nil {
			for i := len(cleanup) - 1; i >= 0; i-- {
				cleanup[i]()
			}
			hardStop()
		}
	}()

	if g.httpLn, err = ops.Listen(cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	// Cleanups capture what they close: a failing return sets the named
	// result g to nil before the deferred cleanup runs.
	httpLn := g.httpLn
	cleanup = append(cleanup, func() { _ = httpLn.Close() })
	if g.grpcLn, err = ops.Listen(cfg.GRPCAddr); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	grpcLn := g.grpcLn
	cleanup = append(cleanup, func() { _ = grpcLn.Close() })

	g.members, err = membership.Start(hard, g.membershipConfig())
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	members := g.members
	cleanup = append(cleanup, func() { _ = members.Shutdown() })

	g.links = newLinks(hard, func(addr string) (grpc.ClientConnInterface, error) { return g.dialer.get(addr) },
		logger, g.metrics)
	g.rooms = newRooms(&env{
		name:    cfg.Name,
		cfg:     &g.cfg,
		log:     logger,
		metrics: g.metrics,
		ring:    g.members.Ring,
		links:   g.links,
		hard:    hard,
	})
	g.startWatch()
	rg := g.members.Ring()
	g.ring.Observe(rg.Version(), rg.Len(), false)

	srv, hs := ops.NewGRPCServer(grpcOpts...)
	g.health = hs
	g.admin = admin.NewServer(admin.Config{Membership: g.members, Local: nil, Logger: logger,
		Token: cfg.AdminToken, DialOptions: []grpc.DialOption{dialOpt}})
	g.admin.Register(srv)
	g.stopGRPC = ops.ServeGRPC(srv, g.grpcLn, func(err error) { logger.Error("serving gRPC", "err", err) })

	g.mux = http.NewServeMux()
	g.mount(g.mux)
	ops.Mount(g.mux, reg, g.ready)
	if cfg.Pprof {
		ops.MountPprof(g.mux)
	}
	g.stopHTTP = ops.ServeHTTP(g.httpLn, g.mux, func(err error) { logger.Error("serving HTTP", "err", err) })

	logger.Info("gateway started", "http", g.HTTPAddr(), "grpc", g.GRPCAddr(), "gossip", g.GossipAddr())
	return g, nil
}

// membershipConfig derives the memberlist settings, advertising addresses
// peers can dial (see Config.Advertise).
func (g *Gateway) membershipConfig() membership.Config {
	return membership.Config{
		Name:          g.cfg.Name,
		Role:          roomshardv1.Role_ROLE_GATEWAY,
		BindAddr:      g.cfg.GossipAddr,
		AdvertiseAddr: ops.GossipAdvertise(g.cfg.GossipAddr, g.cfg.Advertise),
		Join:          g.cfg.Join,
		GRPCAddr:      ops.AdvertiseAddr(g.grpcLn.Addr(), g.cfg.Advertise),
		HTTPAddr:      ops.AdvertiseAddr(g.httpLn.Addr(), g.cfg.Advertise),
		GossipKey:     g.cfg.GossipKey,
		ProbeInterval: g.cfg.GossipProbeInterval,
		Logger:        g.log,
	}
}

// startWatch follows membership: ring changes make rooms check their owner;
// a shard leaving drops its cached connection.
func (g *Gateway) startWatch() {
	events, cancel := g.members.Subscribe()
	g.watchDone = make(chan struct{})
	stop := make(chan struct{})
	g.stopWatch = func() {
		cancel()
		close(stop)
		<-g.watchDone
	}
	go func() {
		defer close(g.watchDone)
		for {
			select {
			case <-stop:
				return
			case ev := <-events:
				g.onMembership(ev)
			}
		}
	}()
}

func (g *Gateway) onMembership(ev membership.Event) {
	switch ev.Kind {
	case "ring":
		rg := g.members.Ring()
		g.ring.Observe(rg.Version(), rg.Len(), true)
		g.rooms.each(func(r *room) { r.kickRing() })
	case "leave":
		addr := ev.Member.Meta.GetGrpcAddr()
		if addr == "" || ev.Member.Meta.GetRole() != roomshardv1.Role_ROLE_SHARD {
			return
		}
		for _, m := range g.members.Members() {
			if m.Meta.GetGrpcAddr() == addr {
				return // a restarted shard took the address over
			}
		}
		g.dialer.forget(addr)
	}
}

// ready is /readyz: joined, with at least one shard known.
func (g *Gateway) ready() error {
	if g.members.Ring().Len() == 0 {
		return ErrNoShard
	}
	return nil
}

// HTTPAddr is the bound HTTP address (clients and ops).
func (g *Gateway) HTTPAddr() string { return g.httpLn.Addr().String() }

// GRPCAddr is the bound gRPC (admin) address.
func (g *Gateway) GRPCAddr() string { return g.grpcLn.Addr().String() }

// GossipAddr is the memberlist address peers join (advertised IP, bound port).
func (g *Gateway) GossipAddr() string {
	if m, ok := g.members.Member(g.cfg.Name); ok {
		return m.GossipAddr
	}
	return g.cfg.GossipAddr
}

// Name is the node's cluster name.
func (g *Gateway) Name() string { return g.cfg.Name }

// Registry is the node's Prometheus registry (what /metrics serves).
func (g *Gateway) Registry() *prometheus.Registry { return g.reg }

// Membership is the node's view of the cluster.
func (g *Gateway) Membership() *membership.Membership { return g.members }

// Shutdown stops the gateway: it stops accepting requests, closes every
// client with 1012 ("gateway restarting"), ends the room streams, leaves the
// cluster and stops the servers. Past ctx's deadline what remains is cut
// off. Calling it again returns the first call's result.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.shutdownOnce.Do(func() { g.shutdownErr = g.shutdown(ctx) })
	return g.shutdownErr
}

func (g *Gateway) shutdown(ctx context.Context) error {
	g.log.Info("gateway shutting down")
	g.health.Shutdown()
	var errs []error
	if err := g.stopHTTP(ctx); err != nil {
		errs = append(errs, fmt.Errorf("gateway: stopping HTTP: %w", err))
	}
	if err := g.rooms.shutdown(ctx, g.hardStop); err != nil {
		errs = append(errs, fmt.Errorf("gateway: closing clients: %w", err))
	}
	g.stopWatch()
	_ = g.admin.Close() // ends WatchCluster streams before GracefulStop
	g.stopGRPC(ctx)
	leave := time.Second
	if d, ok := ctx.Deadline(); ok {
		leave = min(leave, max(time.Until(d), 0))
	}
	if err := g.members.Leave(leave); err != nil {
		g.log.Warn("leaving cluster", "err", err)
	}
	if err := g.members.Shutdown(); err != nil {
		errs = append(errs, err)
	}
	g.links.close()
	g.dialer.close()
	g.hardStop()
	return errors.Join(errs...)
}
