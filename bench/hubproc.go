package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// hubProcess is a direct hub running as a child process. Not safe for
// concurrent use; Direct serialises access.
type hubProcess struct {
	cmd     *exec.Cmd
	url     string
	addr    string
	exited  chan struct{} // closed once cmd.Wait returned
	waitErr error         // cmd.Wait's result, set before exited closes
}

// startHubProcess runs command with "--addr addr" and waits for the ws://
// URL on its first stdout line.
func startHubProcess(ctx context.Context, command []string, addr string) (*hubProcess, error) {
	args := append(append([]string{}, command[1:]...), "--addr", addr)
	cmd := exec.Command(command[0], args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start direct hub: %w", err)
	}
	p := &hubProcess{cmd: cmd, exited: make(chan struct{})}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		line := ""
		if sc.Scan() {
			line = sc.Text()
		}
		first <- line
		for sc.Scan() {
		}
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	select {
	case line := <-first:
		u, _, _ := strings.Cut(line, " ")
		pu, err := url.Parse(u)
		if err != nil || pu.Scheme != "ws" {
			_ = p.kill()
			return nil, fmt.Errorf("bench: direct hub printed %q, want its ws:// URL", line)
		}
		p.url, p.addr = u, pu.Host
		return p, nil
	case <-ctx.Done():
		_ = p.kill()
		return nil, fmt.Errorf("bench: direct hub did not start: %w", ctx.Err())
	}
}

func (p *hubProcess) pid() int { return p.cmd.Process.Pid }

// kill sends SIGKILL and waits for the process to exit.
func (p *hubProcess) kill() error {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-p.exited
	return nil
}

// stop sends SIGTERM and waits; after ctx ends it kills.
func (p *hubProcess) stop(ctx context.Context) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.waitErr
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		<-p.exited
		return ctx.Err()
	}
}
