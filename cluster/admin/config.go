package admin

import (
	"log/slog"
	"time"

	"google.golang.org/grpc"

	"github.com/roomshard/roomshard/cluster/membership"
)

// DefaultForwardTimeout bounds one call to another node.
const DefaultForwardTimeout = 5 * time.Second

// Config configures a Server. Zero fields take the defaults documented on
// each.
type Config struct {
	// Membership is this node's view of the cluster. Required.
	Membership *membership.Membership
	// Local answers for the rooms this node holds; nil on gateways (a nil
	// interface: a typed nil pointer would be called).
	Local Local
	// Logger receives forwarding failures. Default slog.Default().
	Logger *slog.Logger
	// DialOptions are used to dial other nodes' AdminService. Default:
	// insecure transport credentials. They are applied after that default,
	// so a grpc.WithTransportCredentials here replaces it.
	DialOptions []grpc.DialOption
	// Token is the admin bearer token. When set, every AdminService call
	// needs "authorization: Bearer TOKEN", and calls this node forwards to
	// other nodes carry it. Default: empty, no check.
	Token string
	// ForwardTimeout bounds each call to another node (within the caller's
	// own deadline). Default DefaultForwardTimeout.
	ForwardTimeout time.Duration
}

func (c *Config) ensureDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ForwardTimeout <= 0 {
		c.ForwardTimeout = DefaultForwardTimeout
	}
}
