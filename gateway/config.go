package gateway

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/roomshard/roomshard/cluster/flagenv"
	"github.com/roomshard/roomshard/cluster/ops"
)

// Config describes one gateway. Zero fields take the defaults documented on
// each (filled by ensureDefaults, which New calls).
type Config struct {
	// Name is the node's unique cluster name. Default: the hostname.
	Name string
	// HTTPAddr is the client and ops HTTP listen address. Default ":8080".
	HTTPAddr string
	// GRPCAddr is the AdminService listen address. Default ":7000".
	GRPCAddr string
	// GossipAddr is the memberlist bind address. Default ":7946".
	GossipAddr string
	// Advertise is what peers should use to reach this node when the bind
	// addresses are not reachable as they are: a host, or host:port where the
	// port is the gossip port. The host replaces the bind host in the gRPC
	// and HTTP addresses gossiped in the node's metadata. Default: empty; the
	// metadata then names the bind host, or for an unspecified one (":7000",
	// "0.0.0.0:7000") the machine's first private IPv4 address, as memberlist
	// picks for gossip (else 127.0.0.1); see ops.AdvertiseAddr.
	Advertise string
	// Join lists peers (host:port) to join; DNS names join every address.
	// Default: none (the node waits to be joined).
	Join []string
	// DefaultNamespace is the namespace of the short routes (/websocket,
	// /rooms/...). Default "broadcast".
	DefaultNamespace string
	// AllowedOrigins lists the browser origins (scheme://host[:port]) that may
	// open WebSockets; "*" allows any. Default: empty, meaning an Origin must
	// name the request's Host. A request without Origin is always allowed.
	AllowedOrigins []string
	// MaxMessageSize is the largest client message in bytes; a larger one
	// closes the socket with 1009. Default 1 MiB.
	MaxMessageSize int64
	// SendQueue bounds each client's queue of outgoing frames; a client
	// that falls further behind is closed with 1013. Default 1024.
	SendQueue int
	// RoomBuffer bounds the client messages a room holds while its stream
	// is being (re)opened or the shard is behind; past it, the sending
	// client is closed with 1013. Default 1000.
	RoomBuffer int
	// RoomOpenTimeout is how long a room may stay unopened (no shard
	// accepting it) before its sockets are closed with 1013. Default 10s.
	RoomOpenTimeout time.Duration
	// CloseWait is how long a client's close waits for the room's own close
	// code before the gateway echoes the client's. Default 1s.
	CloseWait time.Duration
	// PingInterval is how often an idle client is pinged; a client silent
	// for two intervals is dropped. Default 25s.
	PingInterval time.Duration
	// WriteTimeout bounds one write to a client. Default 10s.
	WriteTimeout time.Duration
	// LogLevel is debug, info, warn or error. Default "info". Used by
	// cmd/gateway to build the logger passed to New.
	LogLevel string
	// LogFormat is text or json. Default "text".
	LogFormat string
	// GossipKey enables gossip encryption (16, 24 or 32 bytes). The flag
	// takes it base64-encoded. Default: none.
	GossipKey []byte
	// GossipProbeInterval tunes memberlist (tests use short ones).
	// Default: membership's default (250ms).
	GossipProbeInterval time.Duration

	// AuthSecret, when set, requires an HMAC-signed connect token
	// (package authtoken) on every WebSocket upgrade, in the "token" query
	// parameter or "Authorization: Bearer". Missing, malformed, tampered or
	// expired: HTTP 401; valid but not covering the room: HTTP 403; both
	// before the upgrade. Default: none (no token needed).
	AuthSecret []byte
	// AdminToken requires "authorization: Bearer TOKEN" on AdminService
	// calls, and is sent on the calls this gateway forwards. Default: none.
	AdminToken string
	// TLS are the gRPC certificate files: the admin server serves TLS and
	// shards are dialed over TLS with the same certificate (mutual when CA
	// is set). Default: plaintext.
	TLS ops.TLSFiles
	// TLSServerName is the name expected in peers' certificates when
	// dialing them. Default: the host dialed (the peer's gossiped IP).
	TLSServerName string
	// RateLimit is each client's sustained message rate (messages/s); a
	// client beyond it and its burst is closed with 1008. Default 100;
	// negative disables.
	RateLimit float64
	// RateBurst is how many messages a client may send at once above the
	// rate. Default 200.
	RateBurst int
	// MaxConnections bounds the gateway's client WebSockets; beyond it an
	// upgrade gets HTTP 503. Default 100000; negative: unlimited.
	MaxConnections int
	// MaxConnectionsPerIP bounds the WebSockets from one client IP (the
	// TCP peer; proxies are not trusted); beyond it HTTP 429. Default
	// 1000; negative: unlimited.
	MaxConnectionsPerIP int
	// MaxConnectionsPerRoom bounds this gateway's WebSockets in one room;
	// beyond it HTTP 503. Default 10000; negative: unlimited.
	MaxConnectionsPerRoom int
	// HandshakeTimeout bounds the WebSocket upgrade. Default 10s.
	HandshakeTimeout time.Duration
	// Pprof serves the Go runtime profiles under /debug/pprof/ on the
	// HTTP listener. Default off: profiles cost CPU while they run and
	// expose internals, so an operator turns them on where the listener is
	// private.
	Pprof bool
}

// Defaults, as documented on Config.
const (
	DefaultHTTPAddr         = ":8080"
	DefaultGRPCAddr         = ":7000"
	DefaultGossipAddr       = ":7946"
	DefaultNamespace        = "broadcast"
	DefaultMaxMessageSize   = 1 << 20
	DefaultSendQueue        = 1024
	DefaultRoomBuffer       = 1000
	DefaultRoomOpenTimeout  = 10 * time.Second
	DefaultCloseWait        = time.Second
	DefaultPingInterval     = 25 * time.Second
	DefaultWriteTimeout     = 10 * time.Second
	DefaultLogLevel         = "info"
	DefaultLogFormat        = "text"
	defaultRoomIdleDeadline = 2 * time.Second

	DefaultRateLimit             = 100
	DefaultRateBurst             = 200
	DefaultMaxConnections        = 100000
	DefaultMaxConnectionsPerIP   = 1000
	DefaultMaxConnectionsPerRoom = 10000
	DefaultHandshakeTimeout      = 10 * time.Second
)

func (c *Config) ensureDefaults() {
	if c.Name == "" {
		c.Name = hostname()
	}
	setDefault(&c.HTTPAddr, DefaultHTTPAddr)
	setDefault(&c.GRPCAddr, DefaultGRPCAddr)
	setDefault(&c.GossipAddr, DefaultGossipAddr)
	setDefault(&c.DefaultNamespace, DefaultNamespace)
	setDefault(&c.LogLevel, DefaultLogLevel)
	setDefault(&c.LogFormat, DefaultLogFormat)
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.SendQueue <= 0 {
		c.SendQueue = DefaultSendQueue
	}
	if c.RoomBuffer <= 0 {
		c.RoomBuffer = DefaultRoomBuffer
	}
	if c.RoomOpenTimeout <= 0 {
		c.RoomOpenTimeout = DefaultRoomOpenTimeout
	}
	if c.CloseWait <= 0 {
		c.CloseWait = DefaultCloseWait
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	c.ensureLimitDefaults()
}

// ensureLimitDefaults fills the abuse limits (SPEC §9); negative values
// (unlimited) are kept.
func (c *Config) ensureLimitDefaults() {
	if c.RateLimit == 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.RateBurst <= 0 {
		c.RateBurst = DefaultRateBurst
	}
	if c.MaxConnections == 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.MaxConnectionsPerIP == 0 {
		c.MaxConnectionsPerIP = DefaultMaxConnectionsPerIP
	}
	if c.MaxConnectionsPerRoom == 0 {
		c.MaxConnectionsPerRoom = DefaultMaxConnectionsPerRoom
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
}

func setDefault(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "gateway"
	}
	return h
}

// ParseConfig reads the gateway flags from args and ROOMSHARD_<FLAG>
// environment variables read through getenv (a flag wins). The result has
// every default filled in. -h gives an error wrapping flag.ErrHelp whose
// text is the usage; any bad value gives one wrapping ErrBadConfig.
func ParseConfig(args []string, getenv func(string) string) (Config, error) {
	var (
		c         Config
		join      string
		origins   string
		gossipKey string
		secret    string
	)
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.Name, "name", "", "node name in the cluster (default: hostname); must be unique")
	fs.StringVar(&c.HTTPAddr, "http", DefaultHTTPAddr, "HTTP listen address for clients and ops")
	fs.StringVar(&c.GRPCAddr, "grpc", DefaultGRPCAddr, "gRPC listen address (admin)")
	fs.StringVar(&c.GossipAddr, "gossip", DefaultGossipAddr, "memberlist bind address")
	fs.StringVar(&c.Advertise, "advertise", "", "host (or host:gossip-port) peers should use to reach this node")
	fs.StringVar(&join, "join", "", "comma-separated peers (host:port) to join")
	fs.StringVar(&c.DefaultNamespace, "default-namespace", DefaultNamespace, "namespace used by the short routes")
	fs.StringVar(&origins, "allowed-origins", "", "comma-separated allowed browser origins, * for any (default: Origin must match Host)")
	fs.Int64Var(&c.MaxMessageSize, "max-message-size", DefaultMaxMessageSize, "largest client message in bytes (larger closes 1009)")
	fs.IntVar(&c.SendQueue, "send-queue", DefaultSendQueue, "per-client send queue in frames (overflow closes 1013)")
	fs.IntVar(&c.RoomBuffer, "room-buffer", DefaultRoomBuffer, "client messages buffered per room while its shard is unavailable")
	fs.DurationVar(&c.PingInterval, "ping-interval", DefaultPingInterval, "client keepalive ping interval")
	fs.StringVar(&c.LogLevel, "log-level", DefaultLogLevel, "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", DefaultLogFormat, "text or json")
	fs.StringVar(&gossipKey, "gossip-key", "", "base64 gossip encryption key (16, 24 or 32 bytes)")
	fs.StringVar(&secret, "auth-secret", "", "HMAC secret for connect tokens; when set every WebSocket needs a token (default: none)")
	fs.StringVar(&c.AdminToken, "admin-token", "", "require this bearer token on admin API calls (default: none)")
	fs.StringVar(&c.TLS.Cert, "tls-cert", "", "PEM certificate for gRPC (serving and dialing shards); default plaintext")
	fs.StringVar(&c.TLS.Key, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&c.TLS.CA, "tls-ca", "", "PEM CA bundle; makes gRPC TLS mutual (client certificates required and verified)")
	fs.StringVar(&c.TLSServerName, "tls-server-name", "", "name expected in peers' certificates (default: the dialed host)")
	fs.Float64Var(&c.RateLimit, "rate-limit", DefaultRateLimit, "per-client messages/s (beyond it and --rate-burst closes 1008; negative: off)")
	fs.IntVar(&c.RateBurst, "rate-burst", DefaultRateBurst, "per-client message burst above --rate-limit")
	fs.IntVar(&c.MaxConnections, "max-connections", DefaultMaxConnections, "client WebSockets per gateway (beyond: HTTP 503; negative: unlimited)")
	fs.IntVar(&c.MaxConnectionsPerIP, "max-connections-per-ip", DefaultMaxConnectionsPerIP, "client WebSockets per client IP (beyond: HTTP 429; negative: unlimited)")
	fs.IntVar(&c.MaxConnectionsPerRoom, "max-connections-per-room", DefaultMaxConnectionsPerRoom, "client WebSockets per room on this gateway (beyond: HTTP 503; negative: unlimited)")
	fs.DurationVar(&c.HandshakeTimeout, "handshake-timeout", DefaultHandshakeTimeout, "bound on the WebSocket upgrade")
	fs.BoolVar(&c.Pprof, "pprof", false, "serve Go runtime profiles on --http under /debug/pprof/ (default off)")
	if err := flagenv.Parse(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			var b strings.Builder
			fs.SetOutput(&b)
			fs.PrintDefaults()
			return Config{}, fmt.Errorf("%w\nUsage of gateway:\n%s", flag.ErrHelp, b.String())
		}
		return Config{}, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("%w: unexpected argument %q", ErrBadConfig, fs.Arg(0))
	}
	c.Join = flagenv.SplitList(join)
	c.AllowedOrigins = flagenv.SplitList(origins)
	if gossipKey != "" {
		key, err := base64.StdEncoding.DecodeString(gossipKey)
		if err != nil {
			return Config{}, fmt.Errorf("%w: --gossip-key is not base64: %w", ErrBadConfig, err)
		}
		c.GossipKey = key
	}
	if secret != "" {
		c.AuthSecret = []byte(secret)
	}
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	c.ensureDefaults()
	return c, nil
}

// validate rejects values that cannot work; zero values mean defaults.
func (c *Config) validate() error {
	switch {
	case c.MaxMessageSize < 0:
		return fmt.Errorf("%w: --max-message-size must be positive", ErrBadConfig)
	case c.SendQueue < 0:
		return fmt.Errorf("%w: --send-queue must be positive", ErrBadConfig)
	case c.RoomBuffer < 0:
		return fmt.Errorf("%w: --room-buffer must be positive", ErrBadConfig)
	case c.PingInterval < 0:
		return fmt.Errorf("%w: --ping-interval must be positive", ErrBadConfig)
	case len(c.GossipKey) != 0 && len(c.GossipKey) != 16 && len(c.GossipKey) != 24 && len(c.GossipKey) != 32:
		return fmt.Errorf("%w: --gossip-key must decode to 16, 24 or 32 bytes", ErrBadConfig)
	case strings.TrimSpace(c.DefaultNamespace) == "" && c.DefaultNamespace != "":
		return fmt.Errorf("%w: --default-namespace is blank", ErrBadConfig)
	case c.RateBurst < 0:
		return fmt.Errorf("%w: --rate-burst must be positive", ErrBadConfig)
	case c.HandshakeTimeout < 0:
		return fmt.Errorf("%w: --handshake-timeout must be positive", ErrBadConfig)
	}
	if err := c.TLS.Check(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	switch c.LogFormat {
	case "", "text", "json":
	default:
		return fmt.Errorf("%w: --log-format %q: want text or json", ErrBadConfig, c.LogFormat)
	}
	switch strings.ToLower(c.LogLevel) {
	case "", "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", ErrBadConfig, c.LogLevel)
	}
	return nil
}
