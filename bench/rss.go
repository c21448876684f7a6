package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// Process names a process under test.
type Process struct {
	// Name labels the process in results ("gateway", "shard-1", ...).
	Name string `json:"name"`
	// PID is its process id.
	PID int `json:"pid"`
}

// ReadRSS returns the resident set size of pid in bytes, from VmRSS in
// /proc/PID/status.
func ReadRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("read rss of %d: %w", pid, err)
	}
	return parseVmRSS(b)
}

// parseVmRSS extracts "VmRSS:  12345 kB" from a status file.
func parseVmRSS(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:"))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest)
		if len(fields) != 2 || string(fields[1]) != "kB" {
			break
		}
		kb, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			break
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("%w: no VmRSS line", ErrBadConfig)
}

// ProcessRSS is what a scenario reports about one process's memory.
type ProcessRSS struct {
	Process
	// BeforeBytes is the RSS before the scenario's clients connected.
	BeforeBytes int64 `json:"before_bytes"`
	// LoadedBytes is the RSS at the scenario's measurement point (idle:
	// all clients connected and settled; others: the end of the load).
	LoadedBytes int64 `json:"loaded_bytes"`
	// PeakBytes is the highest RSS sampled during the run.
	PeakBytes int64 `json:"peak_bytes"`
	// AfterIdleBytes is the RSS at the end of the idle period (idle only).
	AfterIdleBytes int64 `json:"after_idle_bytes,omitempty"`
	// PerConnBytes and PerRoomBytes divide LoadedBytes-BeforeBytes by the
	// connections and rooms established (idle only).
	PerConnBytes float64 `json:"per_conn_bytes,omitempty"`
	PerRoomBytes float64 `json:"per_room_bytes,omitempty"`
	// Error is set when the process could not be read (e.g. it was killed).
	Error string `json:"error,omitempty"`
}

// RSSSampler samples the RSS of a set of processes periodically and tracks
// each one's peak. Methods are safe for concurrent use.
type RSSSampler struct {
	procs []Process

	mu   sync.Mutex // protects last and peak
	last []int64
	peak []int64
}

// NewRSSSampler returns a sampler; call Run to sample in the background.
func NewRSSSampler(procs []Process) *RSSSampler {
	return &RSSSampler{procs: procs, last: make([]int64, len(procs)), peak: make([]int64, len(procs))}
}

// Run samples every interval until ctx ends.
func (s *RSSSampler) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.Sample()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sample reads every process once and returns the values (0 where the read
// failed).
func (s *RSSSampler) Sample() []int64 {
	out := make([]int64, len(s.procs))
	for i, p := range s.procs {
		out[i], _ = ReadRSS(p.PID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, v := range out {
		if v > 0 {
			s.last[i] = v
		}
		s.peak[i] = max(s.peak[i], v)
	}
	return out
}

// Peaks returns the highest sample per process.
func (s *RSSSampler) Peaks() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int64(nil), s.peak...)
}

// Report builds per-process results from two samples (before, loaded).
func (s *RSSSampler) Report(before, loaded []int64) []ProcessRSS {
	peaks := s.Peaks()
	out := make([]ProcessRSS, len(s.procs))
	for i, p := range s.procs {
		out[i] = ProcessRSS{Process: p, BeforeBytes: before[i], LoadedBytes: loaded[i], PeakBytes: peaks[i]}
		if loaded[i] == 0 {
			out[i].Error = "process not readable (exited or killed?)"
		}
	}
	return out
}

// GroupRSS sums the processes that share a name, such as three shards
// given as --pid shard=A --pid shard=B --pid shard=C, so that a role's
// growth per connection and per room reads in one row: each shard holds
// only its share of the rooms, so one shard's growth divided by every room
// understates the cost of a room. Names given once make no group. PID is
// the number of processes summed.
func GroupRSS(ps []ProcessRSS) []ProcessRSS {
	var order []string
	sums := map[string]*ProcessRSS{}
	for _, p := range ps {
		g := sums[p.Name]
		if g == nil {
			g = &ProcessRSS{Process: Process{Name: p.Name}}
			sums[p.Name] = g
			order = append(order, p.Name)
		}
		g.PID++
		g.BeforeBytes += p.BeforeBytes
		g.LoadedBytes += p.LoadedBytes
		g.PeakBytes += p.PeakBytes
		g.AfterIdleBytes += p.AfterIdleBytes
		g.PerConnBytes += p.PerConnBytes
		g.PerRoomBytes += p.PerRoomBytes
		if p.Error != "" && g.Error == "" {
			g.Error = p.Error
		}
	}
	var out []ProcessRSS
	for _, name := range order {
		if g := sums[name]; g.PID > 1 {
			out = append(out, *g)
		}
	}
	return out
}
