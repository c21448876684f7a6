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
	// ProbeInterval is how often a random peer is probed. Default 250ms.
	// See "Failure detection" in doc.go for how the defaults were chosen.
	ProbeInterval time.Duration
	// ProbeTimeout is how long a direct probe waits for an ack before
	// indirect probes (through IndirectChecks peers, plus a TCP ping) get
	// the rest of the probe interval. Default ProbeInterval/2.
	ProbeTimeout time.Duration
	// SuspicionMult scales how long a suspect stays suspect before it is
	// declared dead: SuspicionMult * max(1, log10(N)) * ProbeInterval once
	// enough peers confirm the suspicion (Lifeguard). Default 3.
	SuspicionMult int
	// SuspicionMaxTimeoutMult bounds the suspicion timeout of a suspect no
	// other peer confirms: SuspicionMaxTimeoutMult times the minimum above.
	// Default 4.
	SuspicionMaxTimeoutMult int
	// GossipInterval is how often gossip (including suspect and dead
	// messages) is sent to GossipNodes random peers. Default 100ms.
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
		c.ProbeInterval = 250 * time.Millisecond
	}
	if c.ProbeTimeout <= 0 || c.ProbeTimeout >= c.ProbeInterval {
		// memberlist needs room for indirect probes within the interval.
		c.ProbeTimeout = c.ProbeInterval / 2
	}
	if c.SuspicionMult <= 0 {
		c.SuspicionMult = 3
	}
	if c.SuspicionMaxTimeoutMult <= 0 {
		c.SuspicionMaxTimeoutMult = 4
	}
	if c.GossipInterval <= 0 {
		c.GossipInterval = 100 * time.Millisecond
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
