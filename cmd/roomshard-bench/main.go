package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/roomshard/roomshard/bench"
	"github.com/roomshard/roomshard/bench/direct"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "roomshard-bench:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  roomshard-bench run     --scenario echo|fanout|idle|failover (--baseline direct | --url URL) [flags]
  roomshard-bench compare --scenario S --url URL [flags]
  roomshard-bench serve   [--addr 127.0.0.1:8090]
  roomshard-bench worker  (internal)
run "roomshard-bench run -h" for the flags`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "run", "compare":
		return runScenario(ctx, args[0], args[1:], stdout, stderr)
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "worker":
		return bench.RunWorker(ctx, os.Stdin, stdout, newLogger(stderr, false))
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown subcommand %q", args[0])
}

func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func runScenario(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := newFlags(cmd, &o)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.output != "table" && o.output != "json" {
		return fmt.Errorf("-o must be table or json, not %q", o.output)
	}
	cfgs, err := o.configs()
	if err != nil {
		return err
	}
	logger := newLogger(stderr, o.verbose)
	if o.cpuProf != "" {
		stopProf, err := startCPUProfile(o.cpuProf)
		if err != nil {
			return err
		}
		defer stopProf()
	}
	spawn, err := bench.ExecSpawner("worker")
	if err != nil {
		return err
	}

	if !slices.Contains(bench.ScenarioNames(), o.scenario) {
		return fmt.Errorf("unknown --scenario %q (want one of %v)", o.scenario, bench.ScenarioNames())
	}
	if o.direct != "proc" && o.direct != "inproc" {
		return fmt.Errorf("--direct must be proc or inproc, not %q", o.direct)
	}
	if (cmd == "compare" || o.baseline == "") && o.url == "" {
		return errors.New("--url is required (or --baseline direct with run)")
	}
	var directRes, targetRes *bench.Result
	if cmd == "compare" || o.baseline == "direct" {
		directRes, err = runDirect(ctx, o, cfgs, spawn, logger)
		if err != nil {
			return fmt.Errorf("direct baseline: %w", err)
		}
	} else if o.baseline != "" {
		return fmt.Errorf("--baseline must be direct, not %q", o.baseline)
	}
	if cmd == "compare" || o.baseline == "" {
		env := bench.Env{Spec: o.spec(), Label: o.url, Processes: o.pids, Spawn: spawn, Logger: logger}
		if o.killPID > 0 {
			pid := o.killPID
			env.Kill = func(context.Context) error { return syscall.Kill(pid, syscall.SIGKILL) }
		}
		logger.Info("running", "scenario", o.scenario, "system", o.url)
		targetRes, err = bench.Run(ctx, o.scenario, env, cfgs)
		if err != nil {
			return fmt.Errorf("target: %w", err)
		}
	}

	var out any
	var table func(io.Writer) error
	switch {
	case directRes != nil && targetRes != nil:
		c := bench.Compare(directRes, targetRes)
		out, table = c, func(w io.Writer) error { return bench.WriteComparison(w, c) }
	case directRes != nil:
		out, table = directRes, func(w io.Writer) error { return bench.WriteTable(w, directRes) }
	default:
		out, table = targetRes, func(w io.Writer) error { return bench.WriteTable(w, targetRes) }
	}
	if o.out != "" {
		if err := writeJSONFile(o.out, out); err != nil {
			return err
		}
	}
	if o.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return table(stdout)
}

// runDirect runs the scenario against a fresh in-process direct hub.
func runDirect(ctx context.Context, o options, cfgs bench.ScenarioConfigs, spawn bench.Spawner, logger *slog.Logger) (*bench.Result, error) {
	opts := bench.DirectOptions{Hub: direct.Config{Logger: logger}}
	switch o.direct {
	case "proc":
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		opts.Command = []string{exe, "serve"}
	case "inproc":
	default:
		return nil, fmt.Errorf("--direct must be proc or inproc, not %q", o.direct)
	}
	d, env, err := bench.StartDirect(ctx, o.spec(), opts)
	if err != nil {
		return nil, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = d.Close(cctx)
	}()
	env.Spawn, env.Logger = spawn, logger
	logger.Info("running", "scenario", o.scenario, "system", "direct", "url", d.URL, "mode", o.direct)
	return bench.Run(ctx, o.scenario, env, cfgs)
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// serve runs the direct hub alone until interrupted, so other harnesses (or
// this one, from another process) can drive it as a peer.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := newLogger(stderr, false)
	srv, err := direct.Listen(*addr, direct.Config{Logger: logger})
	if err != nil {
		return err
	}
	// The URL comes first: bench.StartDirect reads it from this line.
	fmt.Fprintf(stdout, "%s direct hub (pid %d); rooms at /ns/{echo|broadcast|plain}/rooms/{name}/websocket\n", srv.URL(), os.Getpid())
	<-ctx.Done()
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Close(cctx)
}

// startCPUProfile profiles this process until the returned func is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}
