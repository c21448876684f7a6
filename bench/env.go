package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
)

// TargetSpec is a serialisable description of a Target, so worker processes
// can rebuild it.
type TargetSpec struct {
	// Kind is "roomshard" or "plain".
	Kind string `json:"kind"`
	// Base is the roomshard gateway base URL (ws://host:port).
	Base string `json:"base,omitempty"`
	// EchoNamespace and BroadcastNamespace override roomshard's namespaces.
	EchoNamespace      string `json:"echo_namespace,omitempty"`
	BroadcastNamespace string `json:"broadcast_namespace,omitempty"`
	// Template is the plain target's room URL template with {room}.
	Template string `json:"template,omitempty"`
	// NoSelf: the plain target does not relay messages back to the sender.
	NoSelf bool `json:"no_self,omitempty"`
}

// Build returns the Target the spec describes.
func (s TargetSpec) Build() (Target, error) {
	var t Target
	switch s.Kind {
	case "roomshard", "":
		t = Roomshard{Base: s.Base, EchoNamespace: s.EchoNamespace, BroadcastNamespace: s.BroadcastNamespace}
	case "plain":
		t = Plain{URLTemplate: s.Template, NoSelf: s.NoSelf}
	default:
		return nil, fmt.Errorf("%w: unknown target kind %q", ErrBadConfig, s.Kind)
	}
	if _, err := t.RoomURL(ClassBroadcast, "probe"); err != nil {
		return nil, err
	}
	return t, nil
}

// Env is what every scenario needs besides its own config: whom to drive and
// what to observe.
type Env struct {
	// Spec describes the server's protocol and address. Required.
	Spec TargetSpec
	// Label names the system under test in results ("direct", a URL).
	Label string
	// Processes are the PIDs whose RSS is reported. Default none.
	Processes []Process
	// Client tunes connections.
	Client ClientConfig
	// Kill simulates the failure in the failover scenario (SIGKILL a shard,
	// or drop every connection of the direct hub). Required for failover.
	Kill func(ctx context.Context) error
	// Spawn starts worker processes for the idle scenario. Default: an
	// in-process worker when Procs is 0.
	Spawn Spawner
	// Logger receives progress and warnings. Default slog.Default().
	Logger *slog.Logger
}

func (e *Env) ensureDefaults() (Target, error) {
	if e.Logger == nil {
		e.Logger = slog.Default()
	}
	if e.Label == "" {
		e.Label = e.Spec.Base + e.Spec.Template
	}
	e.Client.ensureDefaults()
	return e.Spec.Build()
}

// runID returns a short random id so room names of different runs against
// the same cluster never collide.
func runID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// roomNames returns n room names "prefix-run-i".
func roomNames(prefix string, n int) []string {
	id := runID()
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%s-%d", prefix, id, i)
	}
	return out
}
