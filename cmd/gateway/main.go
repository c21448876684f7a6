// Command gateway runs a roomshard gateway: it terminates client WebSockets
// and routes each room to the shard that owns it. Flags are listed in
// SPEC §1 and by -h; each also reads ROOMSHARD_<FLAG>.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/roomshard/roomshard/cluster/ops"
	"github.com/roomshard/roomshard/gateway"
)

// version is set at build time (-ldflags "-X main.version=v1.2.3"; see
// deploy/Dockerfile) and logged at start-up.
var version = "dev"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", strings.TrimPrefix(err.Error(), "gateway: "))
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := gateway.ParseConfig(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		_, usage, _ := strings.Cut(err.Error(), "\n")
		fmt.Print(usage)
		return nil
	}
	if err != nil {
		return err
	}
	logger, err := ops.NewLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	logger = logger.With("version", version)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g, err := gateway.New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	<-ctx.Done()
	stop() // a second signal kills the process the default way
	shutdownCtx, cancel := context.WithTimeout(context.Background(), ops.DefaultShutdownTimeout)
	defer cancel()
	return g.Shutdown(shutdownCtx)
}
