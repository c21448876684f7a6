package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/roomshard/roomshard/cluster/flagenv"
	"github.com/roomshard/roomshard/cluster/ops"
	"github.com/roomshard/roomshard/gateway"
	"github.com/roomshard/roomshard/shard/server"
)

// devConfig is what `roomctl dev` takes (SPEC §1).
type devConfig struct {
	// HTTP is the gateway's client address. Default ":8080".
	HTTP string
	// GRPC is the gateway's admin address. Default ":7000".
	GRPC string
	// Data holds the shared embedded store. Default "./.roomshard".
	Data string
	// Shards is how many shards to run. Default 3.
	Shards int
	// LogLevel is the log level of every node. Default "info".
	LogLevel string
}

func parseDevConfig(args []string, stderr io.Writer) (devConfig, error) {
	c := devConfig{}
	fs := flag.NewFlagSet("roomctl dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.HTTP, "http", ":8080", "gateway HTTP address for clients and ops")
	fs.StringVar(&c.GRPC, "grpc", ":7000", "gateway gRPC address (admin API)")
	fs.StringVar(&c.Data, "data", "./.roomshard", "directory of the shared embedded store")
	fs.IntVar(&c.Shards, "shards", 3, "number of shards")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	if err := flagenv.Parse(fs, args, os.Getenv); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("roomctl dev takes no arguments, got %q", fs.Args())
	}
	if c.Shards < 1 {
		return c, fmt.Errorf("--shards must be at least 1, got %d", c.Shards)
	}
	return c, nil
}

// runDev starts one gateway and c.Shards shards in this process, with real
// memberlist and gRPC on loopback and one pebble store shared by the shards,
// and runs until interrupted.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseDevConfig(args, stderr)
	if err != nil {
		return err
	}
	logger, err := ops.NewLogger(stderr, "text", cfg.LogLevel)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := os.MkdirAll(cfg.Data, 0o755); err != nil {
		return fmt.Errorf("creating data directory: %w", err)
	}
	cl, err := startDevCluster(ctx, cfg, logger)
	if err != nil {
		return err
	}
	cl.printURLs(stdout)
	watchCtx, stopWatching := context.WithCancel(ctx)
	cl.stopDrainedShards(watchCtx, logger)

	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping…")
	stopWatching()
	cl.watchers.Wait()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return cl.shutdown(shutdownCtx)
}

// devCluster is the nodes runDev started.
type devCluster struct {
	gateway  *gateway.Gateway
	shards   []*server.Server
	watchers sync.WaitGroup // stopDrainedShards' goroutines
}

// stopDrainedShards shuts down each shard once a drain (roomctl drain) has
// moved its rooms away, as the shard binary exits then (SPEC §7): the dev
// cluster runs on with the others. The goroutines end with ctx.
func (cl *devCluster) stopDrainedShards(ctx context.Context, logger *slog.Logger) {
	for _, s := range cl.shards {
		cl.watchers.Go(func() {
			select {
			case <-ctx.Done():
				return
			case <-s.Drained():
			}
			logger.Info("shard drained; stopping it", "node", s.Name())
			sctx, cancel := context.WithTimeout(ctx, ops.DefaultShutdownTimeout)
			defer cancel()
			if err := s.Shutdown(sctx); err != nil {
				logger.Error("stopping drained shard", "node", s.Name(), "err", err)
			}
		})
	}
}

func startDevCluster(ctx context.Context, cfg devConfig, logger *slog.Logger) (*devCluster, error) {
	cl := &devCluster{}
	store := "pebble:" + filepath.Join(cfg.Data, "pebble")
	var seed string
	for i := 1; i <= cfg.Shards; i++ {
		name := fmt.Sprintf("dev-shard-%d", i)
		args := []string{"--name", name, "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--gossip", "127.0.0.1:0", "--storage", store}
		if seed != "" {
			args = append(args, "--join", seed)
		}
		scfg, err := server.ParseConfig(args, noEnv)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("configuring %s: %w", name, err), cl.shutdown(context.Background()))
		}
		s, err := server.New(ctx, scfg, logger.With("node", name))
		if err != nil {
			return nil, errors.Join(fmt.Errorf("starting %s: %w", name, err), cl.shutdown(context.Background()))
		}
		cl.shards = append(cl.shards, s)
		if seed == "" {
			seed = s.GossipAddr()
		}
	}
	// Every local client shares 127.0.0.1, so the per-IP connection
	// limit would only get in the way of trying things (or benchmarking).
	gcfg, err := gateway.ParseConfig([]string{"--name", "dev-gateway", "--http", cfg.HTTP, "--grpc", cfg.GRPC, "--gossip", "127.0.0.1:0", "--join", seed,
		"--max-connections-per-ip", "-1"}, noEnv)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("configuring the gateway: %w", err), cl.shutdown(context.Background()))
	}
	g, err := gateway.New(ctx, gcfg, logger.With("node", "dev-gateway"))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("starting the gateway: %w", err), cl.shutdown(context.Background()))
	}
	cl.gateway = g
	return cl, nil
}

// noEnv keeps ROOMSHARD_* variables meant for roomctl away from the nodes.
func noEnv(string) string { return "" }

func (cl *devCluster) printURLs(w io.Writer) {
	web := "http://" + localURLHost(cl.gateway.HTTPAddr())
	ws := "ws://" + localURLHost(cl.gateway.HTTPAddr())
	fmt.Fprintf(w, "roomshard dev cluster: 1 gateway, %d shards\n", len(cl.shards))
	fmt.Fprintf(w, "  demo page     %s/\n", web)
	fmt.Fprintf(w, "  WebSocket     %s/websocket   (room foo of namespace broadcast)\n", ws)
	fmt.Fprintf(w, "                %s/ns/{namespace}/rooms/{name}/websocket\n", ws)
	fmt.Fprintf(w, "  count         %s/getCurrentConnections\n", web)
	fmt.Fprintf(w, "  admin (gRPC)  %s   (roomctl --addr %s members)\n", cl.gateway.GRPCAddr(), localURLHost(cl.gateway.GRPCAddr()))
	fmt.Fprintf(w, "  metrics       %s/metrics\n", web)
	for _, s := range cl.shards {
		fmt.Fprintf(w, "  shard %-12s grpc %s  http %s\n", s.Name(), s.GRPCAddr(), s.HTTPAddr())
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}

// localURLHost turns ":8080" or "[::]:8080" into "localhost:8080".
func localURLHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		return "localhost:" + port
	}
	return addr
}

// shutdown stops the gateway first (clients get 1012), then the shards.
func (cl *devCluster) shutdown(ctx context.Context) error {
	var errs []error
	if cl.gateway != nil {
		errs = append(errs, cl.gateway.Shutdown(ctx))
	}
	for i := len(cl.shards) - 1; i >= 0; i-- {
		errs = append(errs, cl.shards[i].Shutdown(ctx))
	}
	return errors.Join(errs...)
}
