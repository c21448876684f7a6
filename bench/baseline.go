package bench

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/roomshard/roomshard/bench/direct"
)

// DirectOptions says how to run the direct baseline hub.
type DirectOptions struct {
	// Command, when set, runs the hub as a child process: Command[0] with
	// the remaining arguments plus "--addr 127.0.0.1:PORT", which must print
	// its ws:// URL as the first word of its first stdout line (the
	// "roomshard-bench serve" subcommand does). Like the cluster, it then has
	// its own runtime and its own RSS, and the failover kill is a real
	// SIGKILL followed by a restart on the same port. Default: run the hub
	// in this process (its RSS is then this process's).
	Command []string
	// Hub configures the in-process hub.
	Hub direct.Config
}

// Direct is a running direct baseline. Close must be called.
type Direct struct {
	// URL is the hub's ws:// base URL.
	URL string

	srv *direct.Server // in-process mode

	mu   sync.Mutex // protects proc
	proc *hubProcess
}

// StartDirect starts the direct baseline hub on a loopback port and returns
// an Env that drives it in the same protocol kind as spec (roomshard texts,
// or verbatim relay for "plain"). The Env's Kill crashes the hub: SIGKILL
// and restart in process mode, dropping every connection in-process.
func StartDirect(ctx context.Context, spec TargetSpec, opts DirectOptions) (*Direct, Env, error) {
	d := &Direct{}
	env := Env{Label: "direct"}
	if len(opts.Command) == 0 {
		srv, err := direct.Listen("127.0.0.1:0", opts.Hub)
		if err != nil {
			return nil, Env{}, err
		}
		d.srv, d.URL = srv, srv.URL()
		env.Processes = []Process{{Name: "harness+direct", PID: os.Getpid()}}
		env.Kill = func(context.Context) error {
			srv.Hub().DropAll()
			return nil
		}
	} else {
		p, err := startHubProcess(ctx, opts.Command, "127.0.0.1:0")
		if err != nil {
			return nil, Env{}, err
		}
		d.proc, d.URL = p, p.url
		env.Processes = []Process{{Name: "direct", PID: p.pid()}}
		env.Kill = func(ctx context.Context) error { return d.restart(ctx, opts.Command) }
	}
	if spec.Kind == "plain" {
		env.Spec = TargetSpec{Kind: "plain", Template: d.URL + "/ns/plain/rooms/{room}/websocket"}
	} else {
		env.Spec = TargetSpec{Kind: "roomshard", Base: d.URL}
	}
	return d, env, nil
}

// restart kills the hub process and starts a new one on the same address.
func (d *Direct) restart(ctx context.Context, command []string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.proc.kill(); err != nil {
		return err
	}
	p, err := startHubProcess(ctx, command, d.proc.addr)
	if err != nil {
		return fmt.Errorf("bench: restart direct hub: %w", err)
	}
	d.proc = p
	return nil
}

// Close stops the hub.
func (d *Direct) Close(ctx context.Context) error {
	if d.srv != nil {
		return d.srv.Close(ctx)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.proc.stop(ctx)
}
