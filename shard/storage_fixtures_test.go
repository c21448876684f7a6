package shard_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/roomshard/roomshard/shard"
	st "github.com/roomshard/roomshard/shard/shardtest"
	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/memory"
	"github.com/roomshard/roomshard/shard/storage/pebble"
)

// backendCase opens a store for a test; reopen gives a new handle on the
// same data after the previous one was closed (a process restart).
type backendCase struct {
	name string
	open func(t *testing.T) (store storage.Backend, reopen func() storage.Backend)
}

var backendCases = []backendCase{
	{"memory", func(t *testing.T) (storage.Backend, func() storage.Backend) {
		m := memory.New()
		t.Cleanup(func() { m.Close() })
		// A memory store dies with its process: "reopening" keeps the
		// same store, which is what shards sharing one process see.
		return keepOpen{m}, func() storage.Backend { return keepOpen{m} }
	}},
	{"pebble", func(t *testing.T) (storage.Backend, func() storage.Backend) {
		dir := filepath.Join(t.TempDir(), "pebble")
		open := func() storage.Backend {
			p, err := pebble.Open(context.Background(), pebble.Config{Path: dir})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			return p
		}
		return open(), open
	}},
}

// keepOpen is a memory store whose Close leaves the data.
type keepOpen struct{ *memory.Store }

func (keepOpen) Close() error { return nil }

func eachBackend(t *testing.T, fn func(t *testing.T, bc backendCase)) {
	for _, bc := range backendCases {
		t.Run(bc.name, func(t *testing.T) { fn(t, bc) })
	}
}

// script is a room class whose handlers are the test's functions. They
// are set before the room runs them (through the room's inbox) and run
// on its goroutine.
type script struct {
	mu     sync.Mutex // protects msg and alarm, which tests swap between events
	msg    func(ctx context.Context, s *shard.State) error
	alarm  func(ctx context.Context, s *shard.State) error
	builds atomic.Int32
}

func (sc *script) class() shard.Class {
	return shard.Class{Name: "script", New: func(s *shard.State) shard.Room {
		sc.builds.Add(1)
		return &scriptRoom{s: s, sc: sc}
	}}
}

func (sc *script) onMessage(fn func(ctx context.Context, s *shard.State) error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.msg = fn
}

func (sc *script) onAlarm(fn func(ctx context.Context, s *shard.State) error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.alarm = fn
}

type scriptRoom struct {
	shard.BaseRoom
	s  *shard.State
	sc *script
}

// Message runs the script and replies "ok" or the script's error text;
// a script returning errFail fails the handler instead.
func (r *scriptRoom) Message(ctx context.Context, ws *shard.WebSocket, _ shard.Message) error {
	r.sc.mu.Lock()
	fn := r.sc.msg
	r.sc.mu.Unlock()
	if err := fn(ctx, r.s); err != nil {
		if err == errFail {
			return err
		}
		return ws.SendText("error: " + err.Error())
	}
	return ws.SendText("ok")
}

func (r *scriptRoom) Alarm(ctx context.Context) error {
	r.sc.mu.Lock()
	fn := r.sc.alarm
	r.sc.mu.Unlock()
	if fn == nil {
		return nil
	}
	return fn(ctx, r.s)
}

var errFail = fmt.Errorf("script: handler fails")

// rig is a host running the script class on a store, with room
// "script/r" open on gateway g1 and socket "a" connected.
type rig struct {
	h  *shard.Host
	sc *script
	c  *shard.Conn
	g  *st.Gateway
}

func newRig(t *testing.T, store storage.Backend, cfg shard.HostConfig) *rig {
	t.Helper()
	sc := &script{}
	cfg.Storage = store
	h := st.NewHost(t, cfg, sc.class())
	c, g := st.Open(t, h, "script", "r", "g1")
	st.Connect(t, c, g, "a")
	return &rig{h: h, sc: sc, c: c, g: g}
}

// do runs fn as socket a's message handler and returns the reply.
func (rg *rig) do(t *testing.T, fn func(ctx context.Context, s *shard.State) error) string {
	t.Helper()
	rg.sc.onMessage(fn)
	st.Handle(t, rg.c, st.Message("a", "run"))
	f := rg.g.WaitFrames(t, 1)
	return string(f[0].GetDeliver().GetData())
}

// ok runs fn and fails the test unless it replied "ok".
func (rg *rig) ok(t *testing.T, fn func(ctx context.Context, s *shard.State) error) {
	t.Helper()
	if got := rg.do(t, fn); got != "ok" {
		t.Fatalf("script replied %q", got)
	}
}
