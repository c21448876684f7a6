package clustertest

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Role says which binary a Proc runs.
type Role string

// The roles a Proc can have.
const (
	RoleGateway Role = "gateway"
	RoleShard   Role = "shard"
)

// Proc is one running gateway or shard process.
type Proc struct {
	Name   string
	Role   Role
	HTTP   string // 127.0.0.1:port
	GRPC   string
	Gossip string
	Args   []string

	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{}
	err  error // set before done closes
}

// syncBuffer collects a process's output; written by exec's copier
// goroutine, read by the test.
type syncBuffer struct {
	// protects buf
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logs returns everything the process wrote so far.
func (p *Proc) Logs() string { return p.logs.String() }

// Spec describes a process to start.
type Spec struct {
	Role Role
	Name string
	// Join lists gossip addresses to join.
	Join []string
	// Args are extra flags.
	Args []string
	// Env is extra environment, KEY=VALUE.
	Env []string
	// Ports, when set, reuses these addresses (a restart under the same
	// addresses); otherwise free ports are picked.
	HTTP, GRPC, Gossip string
}

// Start starts the process for spec, waits until its /readyz answers 200,
// and registers its stop with t.Cleanup. It retries with fresh ports when a
// port picked free was taken meanwhile.
func Start(t testing.TB, bins Binaries, spec Spec) *Proc {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		p, err := start(bins, spec)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Stop(t) })
		if err := p.waitReady(30 * time.Second); err != nil {
			lastErr = err
			if strings.Contains(p.Logs(), "address already in use") && spec.HTTP == "" {
				p.Kill()
				continue
			}
			t.Fatalf("%s %s did not become ready: %v\n--- logs ---\n%s", p.Role, p.Name, err, p.Logs())
		}
		return p
	}
	t.Fatalf("%s %s: %v", spec.Role, spec.Name, lastErr)
	return nil
}

func start(bins Binaries, spec Spec) (*Proc, error) {
	p := &Proc{Name: spec.Name, Role: spec.Role, HTTP: spec.HTTP, GRPC: spec.GRPC, Gossip: spec.Gossip, logs: &syncBuffer{}, done: make(chan struct{})}
	for _, addr := range []*string{&p.HTTP, &p.GRPC, &p.Gossip} {
		if *addr == "" {
			a, err := FreeAddr()
			if err != nil {
				return nil, err
			}
			*addr = a
		}
	}
	bin := bins.Shard
	if spec.Role == RoleGateway {
		bin = bins.Gateway
	}
	p.Args = []string{
		"--name", spec.Name, "--http", p.HTTP, "--grpc", p.GRPC, "--gossip", p.Gossip,
		"--log-level", "debug",
	}
	if spec.Role == RoleShard {
		// Not the default pebble:./data, which two shards cannot share;
		// a --storage in spec.Args comes later and wins.
		p.Args = append(p.Args, "--storage", "memory")
	}
	p.Args = append(p.Args, spec.Args...)
	if len(spec.Join) > 0 {
		p.Args = append(p.Args, "--join", strings.Join(spec.Join, ","))
	}
	p.cmd = exec.Command(bin, p.Args...)
	p.cmd.Env = append(os.Environ(), spec.Env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	// Its own process group, so a test's kill does not reach the test binary.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("clustertest: starting %s %s: %w", spec.Role, spec.Name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *Proc) waitReady(total time.Duration) error {
	deadline := time.Now().Add(total)
	client := &http.Client{Timeout: time.Second}
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("exited: %v", p.err)
		default:
		}
		resp, err := client.Get("http://" + p.HTTP + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("/readyz answered %s", resp.Status)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %v: %v", total, last)
}

// Signal sends sig to the process.
func (p *Proc) Signal(sig syscall.Signal) {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(sig)
	}
}

// Kill sends SIGKILL and waits for the process to exit.
func (p *Proc) Kill() {
	p.Signal(syscall.SIGKILL)
	<-p.done
}

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits up to total for the process to exit; it reports whether it
// did and the process's exit error.
func (p *Proc) Wait(total time.Duration) (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	case <-time.After(total):
		return false, nil
	}
}

// Stop ends the process: SIGTERM, then SIGKILL after 10 s. It logs the
// process's output when the test failed.
func (p *Proc) Stop(t testing.TB) {
	if !p.Exited() {
		p.Signal(syscall.SIGTERM)
		if exited, _ := p.Wait(10 * time.Second); !exited {
			p.Kill()
		}
	}
	if t.Failed() {
		t.Logf("--- %s %s logs ---\n%s", p.Role, p.Name, tail(p.Logs(), 200))
	}
}

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
