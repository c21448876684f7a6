package membership

import (
	"log/slog"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// Config describes how a node joins the cluster. Zero fields take the
// defaults documented on each.
type Config struct {
	// Name is the node's unique name. Required.
	Name string
	// Role is gateway or shard. Required.
	Role roomshardv1.Role
	// BindAddr is the gossip host:port to listen on (UDP and TCP). Default ":7946".
	BindAddr string
	// AdvertiseAddr is the gossip host:port peers should use when BindAddr is
	// not reachable as is. Default: derived from BindAddr by memberlist.
	AdvertiseAddr string
	// Join lists peers as host:port; a DNS name joins every address it
	// resolves to. Joining is retried in the background until one succeeds.
	Join []string
	// GRPCAddr and HTTPAddr are gossiped so peers can reach the node.
	GRPCAddr string
	HTTPAddr string
	// Namespaces lists the "namespace=class" bindings a shard serves.
	Namespaces []string
	// GossipKey enables gossip encryption (16, 24 or 32 bytes of AES key).
	GossipKey []byte
	// ProbeInterval is how often a random peer is probed. Default 1s.
	ProbeInterval time.Duration
	// ProbeTimeout is how long a direct probe waits for an ack. Default 500ms.
	ProbeTimeout time.Duration
	// SuspicionMult scales how long a suspect stays suspect before it is
	// declared dead (SuspicionMult * log10(N+1) * ProbeInterval). Default 4.
	SuspicionMult int
	// GossipInterval is how often gossip is sent. Default 200ms.
	GossipInterval time.Duration
	// PushPullInterval is how often a node exchanges full state with a
	// random peer; it heals gossip lost under load (UDP drops). Default 5s,
	// well below memberlist's 30s because roomshard clusters are small.
	PushPullInterval time.Duration
	// JoinRetry is the pause between join attempts. Default 1s.
	JoinRetry time.Duration
	// Logger receives memberlist's log lines at debug level. Default slog.Default().
	Logger *slog.Logger
}

func (c *Config) ensureDefaults() {
	if c.BindAddr == "" {
		c.BindAddr = ":7946"
	}
	if c.ProbeInterval <= 0 {
		c.ProbeInterval = time.Second
	}
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = 500 * time.Millisecond
	}
	if c.SuspicionMult <= 0 {
		c.SuspicionMult = 4
	}
	if c.GossipInterval <= 0 {
		c.GossipInterval = 200 * time.Millisecond
	}
	if c.PushPullInterval <= 0 {
		c.PushPullInterval = 5 * time.Second
	}
	if c.JoinRetry <= 0 {
		c.JoinRetry = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}
