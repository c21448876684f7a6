package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"
)

// WorkerJob is the first line a coordinator writes to a worker's stdin.
// After it the coordinator writes commands, one per line: "probe" or "stop"
// (closing stdin also stops the worker).
type WorkerJob struct {
	Spec            TargetSpec    `json:"spec"`
	Class           Class         `json:"class"`
	Rooms           []string      `json:"rooms"`
	PerRoom         int           `json:"per_room"`
	DialConcurrency int           `json:"dial_concurrency"`
	PayloadSize     int           `json:"payload_size"`
	ProbeTimeout    time.Duration `json:"probe_timeout"`
	Client          ClientConfig  `json:"client"`
}

// WorkerReport is one line a worker writes to stdout: "ready" after
// connecting, "probe" after each probe, "done" after stopping.
type WorkerReport struct {
	Event    string           `json:"event"`
	Connect  *ConnectStats    `json:"connect,omitempty"`
	Probe    *ProbeStats      `json:"probe,omitempty"`
	Counters *CounterSnapshot `json:"counters,omitempty"`
	Error    string           `json:"error,omitempty"`
}

// RunWorker serves the worker protocol on in/out: it runs one fleet for the
// job it reads, answers commands, and returns after "stop" or end of input.
// Logs must not go to out.
func RunWorker(ctx context.Context, in io.Reader, out io.Writer, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	enc := json.NewEncoder(out)
	if !sc.Scan() {
		return fmt.Errorf("bench worker: no job: %w", errors.Join(sc.Err(), io.ErrUnexpectedEOF))
	}
	var job WorkerJob
	if err := json.Unmarshal(sc.Bytes(), &job); err != nil {
		return fmt.Errorf("bench worker: job: %w", err)
	}
	target, err := job.Spec.Build()
	if err != nil {
		_ = enc.Encode(WorkerReport{Event: "ready", Error: err.Error()})
		return err
	}
	counters := &Counters{}
	fleet, conn, err := StartFleet(ctx, FleetConfig{
		Target: target, Class: job.Class, Rooms: job.Rooms, PerRoom: job.PerRoom,
		DialConcurrency: job.DialConcurrency, PayloadSize: job.PayloadSize,
		Client: job.Client, Counters: counters, Logger: logger,
	})
	if err != nil {
		_ = enc.Encode(WorkerReport{Event: "ready", Error: err.Error()})
		return err
	}
	defer fleet.Close()
	if err := enc.Encode(WorkerReport{Event: "ready", Connect: &conn}); err != nil {
		return fmt.Errorf("bench worker: report: %w", err)
	}
	for sc.Scan() {
		switch cmd := strings.TrimSpace(sc.Text()); cmd {
		case "probe":
			p := fleet.Probe(ctx, job.ProbeTimeout)
			if err := enc.Encode(WorkerReport{Event: "probe", Probe: &p}); err != nil {
				return fmt.Errorf("bench worker: report: %w", err)
			}
		case "stop":
			return finishWorker(fleet, enc)
		default:
			logger.Warn("bench worker: unknown command", "cmd", cmd)
		}
	}
	return finishWorker(fleet, enc)
}

func finishWorker(f *Fleet, enc *json.Encoder) error {
	f.Close()
	c := f.Snapshot()
	return enc.Encode(WorkerReport{Event: "done", Counters: &c})
}

// Spawner starts one worker and returns its connection.
type Spawner func(ctx context.Context) (*WorkerConn, error)

// WorkerConn is the coordinator's end of one worker. Not safe for
// concurrent use.
type WorkerConn struct {
	in    io.WriteCloser
	lines chan WorkerReport
	wait  func() error
	enc   *json.Encoder
}

// newWorkerConn wires a worker's stdin/stdout; the decoding goroutine ends
// when out reaches EOF (the worker exited or closed it).
func newWorkerConn(in io.WriteCloser, out io.Reader, wait func() error) *WorkerConn {
	w := &WorkerConn{in: in, lines: make(chan WorkerReport, 4), wait: wait, enc: json.NewEncoder(in)}
	go func() {
		defer close(w.lines)
		dec := json.NewDecoder(out)
		for {
			var r WorkerReport
			if err := dec.Decode(&r); err != nil {
				_, _ = io.Copy(io.Discard, out)
				return
			}
			w.lines <- r
		}
	}()
	return w
}

func (w *WorkerConn) send(v any) error { return w.enc.Encode(v) }

func (w *WorkerConn) command(cmd string) error {
	_, err := io.WriteString(w.in, cmd+"\n")
	return err
}

// recv waits for the next report of the given event.
func (w *WorkerConn) recv(ctx context.Context, event string) (WorkerReport, error) {
	for {
		select {
		case <-ctx.Done():
			return WorkerReport{}, ctx.Err()
		case r, ok := <-w.lines:
			if !ok {
				return WorkerReport{}, fmt.Errorf("bench: worker exited before %q", event)
			}
			if r.Error != "" {
				return r, fmt.Errorf("bench: worker: %s", r.Error)
			}
			if r.Event == event {
				return r, nil
			}
		}
	}
}

// close ends the worker's input and waits for it to exit.
func (w *WorkerConn) close() error {
	_ = w.in.Close()
	for range w.lines {
	}
	return w.wait()
}

// ExecSpawner re-executes the current binary as "exe args..." (e.g. the
// roomshard-bench "worker" subcommand), wiring its stdin and stdout and
// passing its stderr through.
func ExecSpawner(args ...string) (Spawner, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bench: find own executable: %w", err)
	}
	return func(ctx context.Context) (*WorkerConn, error) {
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Stderr = os.Stderr
		cmd.WaitDelay = 10 * time.Second
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("bench: start worker: %w", err)
		}
		return newWorkerConn(in, out, cmd.Wait), nil
	}, nil
}

// InProcessSpawner runs workers as goroutines in this process, over pipes;
// the same protocol as ExecSpawner without the extra file descriptors.
func InProcessSpawner(logger *slog.Logger) Spawner {
	return func(ctx context.Context) (*WorkerConn, error) {
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		done := make(chan error, 1)
		go func() {
			err := RunWorker(ctx, inR, outW, logger)
			_ = outW.Close()
			_ = inR.Close()
			done <- err
		}()
		return newWorkerConn(inW, outR, func() error { return <-done }), nil
	}
}
