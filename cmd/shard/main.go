// Command shard runs rooms: it joins a roomshard cluster as role shard and
// serves the gateways' room streams and the admin API. See SPEC §1 for its
// flags; each is also read from ROOMSHARD_<FLAG>.
//
// SIGTERM (or SIGINT) drains the shard: it leaves the ring, hands every
// room to its new owner and exits 0 within 10 s. A drain through the admin
// API (roomctl drain) ends the same way: the process exits once it holds
// no room, or 30 s after the drain began (SPEC §7). A second signal kills
// it at once.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/roomshard/roomshard/cluster/ops"
	"github.com/roomshard/roomshard/shard/server"
)

// version is set at build time (-ldflags "-X main.version=v1.2.3"; see
// deploy/Dockerfile) and logged at start-up.
var version = "dev"

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := server.ParseConfig(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		server.Usage(os.Stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	logger, err := ops.NewLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, "shard:", err)
		return 2
	}
	logger = logger.With("version", version)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg, logger)
	if err != nil {
		logger.Error("starting shard", "err", err)
		return 1
	}
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case <-srv.Drained():
		// SPEC §7: a drained shard exits once its rooms moved away.
		logger.Info("drained; shutting down")
	}
	stop() // a second signal kills the process at once
	sctx, cancel := context.WithTimeout(context.Background(), ops.DefaultShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Error("shutting down", "err", err)
		return 1
	}
	return 0
}
