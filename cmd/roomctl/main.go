package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run runs roomctl with args and returns the exit code: 0 on success, 1
// when the command failed, 2 for a command-line mistake.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	var g globals
	gfs := newFlagSet("roomctl")
	g.register(gfs)
	idx, err := findCommand(gfs, args)
	if err != nil {
		return fail(stderr, err, nil)
	}
	if idx < 0 {
		if _, err := parseInterleaved(gfs, args); err != nil {
			return fail(stderr, err, nil)
		}
		if g.help {
			printUsage(stdout)
			return 0
		}
		return fail(stderr, usagef("no command given"), nil)
	}
	name := args[idx]
	if name == "help" {
		return help(args[idx+1:], stdout, stderr)
	}
	cmd := findCommandNamed(name)
	if cmd == nil {
		return fail(stderr, usagef("unknown command %q", name), nil)
	}
	if cmd.raw != nil {
		if err := cmd.raw(ctx, args[idx+1:], stdout, stderr); err != nil {
			return fail(stderr, err, cmd)
		}
		return 0
	}

	fs := newFlagSet("roomctl " + name)
	g.register(fs)
	r := cmd.setup(fs)
	rest := append(append([]string{}, args[:idx]...), args[idx+1:]...)
	positional, err := parseInterleaved(fs, rest)
	if err != nil {
		return fail(stderr, err, cmd)
	}
	if g.help {
		printCommandUsage(stdout, cmd)
		return 0
	}
	g.applyEnv(fs, getenv)
	if err := g.check(); err != nil {
		return fail(stderr, err, cmd)
	}
	c, err := dial(&g)
	if err != nil {
		return fail(stderr, err, cmd)
	}
	defer c.close()
	e := &env{client: c.client, stdout: stdout, stderr: stderr, json: g.output == "json", timeout: g.timeout}
	if err := r(ctx, e, positional); err != nil {
		if !isUsage(err) {
			err = c.describe(err, &g)
		}
		return fail(stderr, err, cmd)
	}
	return 0
}

// newFlagSet returns a silent flag set: roomctl prints its own usage.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// fail reports err on stderr and returns its exit code: 2 with usage text
// for a usage error, 1 otherwise.
func fail(stderr io.Writer, err error, cmd *command) int {
	fmt.Fprintf(stderr, "roomctl: %v\n", err)
	if !isUsage(err) {
		return 1
	}
	if cmd != nil {
		printCommandUsage(stderr, cmd)
	} else {
		printUsage(stderr)
	}
	return 2
}

// help prints general help, or one command's.
func help(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stdout)
		return 0
	}
	cmd := findCommandNamed(args[0])
	if cmd == nil {
		return fail(stderr, usagef("unknown command %q", args[0]), nil)
	}
	if cmd.raw != nil {
		fmt.Fprintf(stdout, "Usage: roomctl %s %s\n\n%s.\nRun 'roomctl %s --help' for its flags.\n", cmd.name, cmd.args, capitalize(cmd.summary), cmd.name)
		return 0
	}
	printCommandUsage(stdout, cmd)
	return 0
}
