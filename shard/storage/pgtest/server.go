package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options configure a Server.
type Options struct {
	// Durable keeps fsync on, for benchmarks that measure syncs. Default
	// false: fsync off, which makes tests much faster.
	Durable bool
}

// Server is a running throwaway PostgreSQL server.
type Server struct {
	dir    string // everything: data, sockets, log; removed by Stop
	port   int
	cmd    *exec.Cmd
	exited chan struct{} // closed when the postgres process has exited

	// protects dbs (creating databases one at a time avoids template1
	// contention) and stopped
	mu      sync.Mutex
	dbs     int
	stopped bool
}

const startTimeout = 60 * time.Second

// StartServer initializes and starts a server, returning ErrNoBinaries
// when PostgreSQL is not installed.
func StartServer(ctx context.Context, opts Options) (*Server, error) {
	bins, err := findBinaries()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "roomshard-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: creating the server directory: %w", err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, errors.Join(fmt.Errorf("pgtest: handing %s to uid %d: %w", dir, cred.Uid, err), os.RemoveAll(dir))
		}
	}
	s, err := startIn(ctx, dir, bins, cred, opts)
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	return s, nil
}

func startIn(ctx context.Context, dir string, bins binaries, cred *syscall.Credential, opts Options) (*Server, error) {
	data := filepath.Join(dir, "data")
	initdb := command(bins.initdb, cred, "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgtest: initdb: %w: %s", err, out)
	}
	// A free port can be taken between picking and binding: retry.
	var lastErr error
	for range 3 {
		s, err := launch(ctx, dir, bins, cred, opts)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func launch(ctx context.Context, dir string, bins binaries, cred *syscall.Credential, opts Options) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"-D", filepath.Join(dir, "data"), "-p", fmt.Sprint(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300", "-c", "shared_buffers=32MB"}
	if !opts.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	logFile, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return nil, fmt.Errorf("pgtest: creating the server log: %w", err)
	}
	defer logFile.Close()
	cmd := command(bins.postgres, cred, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("pgtest: starting postgres: %w", err)
	}
	s := &Server{dir: dir, port: port, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(ctx); err != nil {
		return nil, errors.Join(err, s.halt())
	}
	return s, nil
}

// command runs path as cred's user with a clean environment, dying with
// the test binary (SIGQUIT is postgres's immediate shutdown).
func command(path string, cred *syscall.Credential, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Env = []string{"LC_ALL=C", "PATH=" + os.Getenv("PATH")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	return cmd
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: picking a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls until the server accepts connections.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, s.url("postgres"))
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-s.exited:
			return fmt.Errorf("pgtest: postgres exited while starting: %s", s.logTail())
		case <-ctx.Done():
			return fmt.Errorf("pgtest: postgres not ready after %v: %w: %s", startTimeout, err, s.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Server) url(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, database)
}

func (s *Server) logTail() string {
	log, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	return strings.Join(lines[max(0, len(lines)-10):], "\n")
}

// CreateDatabase creates a new, empty database and returns its URL.
func (s *Server) CreateDatabase(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return "", errors.New("pgtest: server is stopped")
	}
	s.dbs++
	name := fmt.Sprintf("test_%d", s.dbs)
	conn, err := pgx.Connect(ctx, s.url("postgres"))
	if err != nil {
		return "", fmt.Errorf("pgtest: connecting to create a database: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("pgtest: creating database %s: %w", name, err)
	}
	return s.url(name), nil
}

// Stop shuts the server down (fast shutdown, then kill after a grace
// period) and removes its directory. It is idempotent.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	s.stopped = true
	return errors.Join(s.halt(), os.RemoveAll(s.dir))
}

const stopGrace = 10 * time.Second

func (s *Server) halt() error {
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("pgtest: stopping postgres: %w", err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(stopGrace):
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	return fmt.Errorf("pgtest: postgres ignored fast shutdown for %v and was killed", stopGrace)
}
