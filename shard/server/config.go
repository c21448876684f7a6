package server

import (
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/roomshard/roomshard/cluster/flagenv"
	"github.com/roomshard/roomshard/cluster/ops"
	"github.com/roomshard/roomshard/shard"
	"github.com/roomshard/roomshard/shard/builtin"
)

// Config configures a shard process. Zero fields take the defaults
// documented on each (filled by New; ParseConfig fills them too).
type Config struct {
	// Name is the node's unique cluster name. Default: the hostname.
	Name string
	// HTTPAddr is the ops HTTP listen address (/healthz, /readyz, /metrics). Default ":9100".
	HTTPAddr string
	// GRPCAddr is the gRPC listen address (ShardService, AdminService). Default ":7100".
	GRPCAddr string
	// GossipAddr is the memberlist bind address. Default ":7947".
	GossipAddr string
	// Advertise is the host, or host:port, peers use to reach this node
	// when the bind addresses are not reachable as they are. The host is
	// advertised for gossip, gRPC and HTTP; a port applies to gossip only.
	// Default: each bind host when it is specific; else the first private
	// IPv4 address of the machine (as memberlist picks); else 127.0.0.1.
	Advertise string
	// Join lists peers (host:port) to join; empty starts a new cluster.
	Join []string
	// Storage is where rooms keep their data and alarms: "memory",
	// "pebble:PATH" or a postgres:// URL (see package backends). Rooms that
	// move between shards keep their data only if those shards share the
	// store: the shards of one process share a pebble path; separate
	// processes need PostgreSQL. Default "pebble:./data".
	Storage string
	// HibernateAfter is the idle time after which a hibernatable room's
	// object is evicted. Default 10s; negative never.
	HibernateAfter time.Duration
	// Namespaces binds extra namespaces, "NAME=CLASS". Every class in
	// Classes is also bound to a namespace of its own name.
	Namespaces []string
	// Classes are the room classes this shard runs. Default builtin.All();
	// a custom shard binary appends its own.
	Classes []shard.Class
	// GossipKey enables gossip encryption (16, 24 or 32 bytes). Default off.
	GossipKey []byte
	// AdminToken requires "authorization: Bearer TOKEN" on AdminService calls. Default off.
	AdminToken string
	// LogLevel is debug, info, warn or error (used by cmd/shard). Default "info".
	LogLevel string
	// LogFormat is text or json (used by cmd/shard). Default "text".
	LogFormat string
	// StreamQueueFrames bounds the frames queued for one gateway room
	// stream; beyond it the stream is ended (the gateway re-opens it).
	// Default 8192.
	StreamQueueFrames int
	// StreamQueueBytes bounds the bytes queued for one gateway room stream.
	// Default 64 MiB.
	StreamQueueBytes int
	// TLS are the gRPC certificate files: the server serves TLS (mutual,
	// requiring verified client certificates, when CA is set) and dials
	// other nodes' admin service with the same certificate. Default:
	// plaintext.
	TLS ops.TLSFiles
	// TLSServerName is the name expected in peers' certificates when
	// dialing them. Default: the host dialed (the peer's gossiped IP).
	TLSServerName string
	// MaxRooms bounds the rooms this shard holds (running or hibernated);
	// a gateway opening one more gets ResourceExhausted and closes the
	// room's sockets with 1013. Default 100000; negative: unlimited.
	MaxRooms int
	// Pprof serves the Go runtime profiles under /debug/pprof/ on the
	// HTTP listener. Default off: profiles cost CPU while they run and
	// expose internals, so an operator turns them on where the listener is
	// private.
	Pprof bool
}

// Defaults.
const (
	DefaultHTTPAddr       = ":9100"
	DefaultGRPCAddr       = ":7100"
	DefaultGossipAddr     = ":7947"
	DefaultStorage        = "pebble:./data"
	DefaultHibernateAfter = 10 * time.Second
	DefaultMaxRooms       = 100000
)

func (c *Config) ensureDefaults() {
	if c.Name == "" {
		c.Name, _ = os.Hostname()
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = DefaultHTTPAddr
	}
	if c.GRPCAddr == "" {
		c.GRPCAddr = DefaultGRPCAddr
	}
	if c.GossipAddr == "" {
		c.GossipAddr = DefaultGossipAddr
	}
	if c.Storage == "" {
		c.Storage = DefaultStorage
	}
	if c.HibernateAfter == 0 {
		c.HibernateAfter = DefaultHibernateAfter
	}
	if c.Classes == nil {
		c.Classes = builtin.All()
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.LogFormat == "" {
		c.LogFormat = "text"
	}
	if c.StreamQueueFrames <= 0 {
		c.StreamQueueFrames = 8192
	}
	if c.StreamQueueBytes <= 0 {
		c.StreamQueueBytes = 64 << 20
	}
	if c.MaxRooms == 0 {
		c.MaxRooms = DefaultMaxRooms
	}
}

// validate checks what ensureDefaults cannot fix.
func (c *Config) validate() error {
	if c.Name == "" {
		return fmt.Errorf("%w: --name is empty and the hostname is unknown", ErrConfig)
	}
	for flagName, addr := range map[string]string{"http": c.HTTPAddr, "grpc": c.GRPCAddr, "gossip": c.GossipAddr} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("%w: --%s %q: %v", ErrConfig, flagName, addr, err)
		}
	}
	if err := CheckStorage(c.Storage); err != nil {
		return err
	}
	if n := len(c.GossipKey); n != 0 && n != 16 && n != 24 && n != 32 {
		return fmt.Errorf("%w: --gossip-key must decode to 16, 24 or 32 bytes, got %d", ErrConfig, n)
	}
	if err := c.TLS.Check(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if _, err := shard.Bind(c.Classes, c.Namespaces); err != nil {
		return fmt.Errorf("%w: --namespace: %w", ErrConfig, err)
	}
	if _, err := ops.NewLogger(io.Discard, c.LogFormat, c.LogLevel); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// CheckStorage validates a --storage value: "memory", "pebble:PATH" or a
// postgres:// (or postgresql://) URL.
func CheckStorage(s string) error {
	switch {
	case s == "memory":
		return nil
	case strings.HasPrefix(s, "pebble:"):
		if strings.TrimPrefix(s, "pebble:") == "" {
			return fmt.Errorf("%w: --storage %q: pebble needs a path (pebble:PATH)", ErrConfig, s)
		}
		return nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		if u, err := url.Parse(s); err != nil || u.Host == "" {
			return fmt.Errorf("%w: --storage: malformed PostgreSQL URL", ErrConfig)
		}
		return nil
	}
	return fmt.Errorf("%w: --storage %q: want memory, pebble:PATH or a postgres:// URL", ErrConfig, s)
}

// redactStorage hides a PostgreSQL URL's password, for logs.
func redactStorage(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	return s
}

// ParseConfig reads the shard's flags from args and, for flags not given,
// ROOMSHARD_<FLAG> variables through getenv. -h returns flag.ErrHelp (see
// Usage).
func ParseConfig(args []string, getenv func(string) string) (Config, error) {
	var (
		c         Config
		join, key string
		ns        flagenv.Strings
	)
	fs := newFlagSet(&c, &join, &key, &ns)
	if err := flagenv.Parse(fs, args, getenv); err != nil {
		if err == flag.ErrHelp {
			return Config{}, err
		}
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("%w: unexpected argument %q", ErrConfig, fs.Arg(0))
	}
	c.Join = flagenv.SplitList(join)
	if key != "" {
		b, err := base64.StdEncoding.DecodeString(key)
		if err != nil {
			return Config{}, fmt.Errorf("%w: --gossip-key is not base64: %v", ErrConfig, err)
		}
		c.GossipKey = b
	}
	c.Namespaces = []string(ns)
	c.ensureDefaults()
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func newFlagSet(c *Config, join, key *string, ns *flagenv.Strings) *flag.FlagSet {
	fs := flag.NewFlagSet("shard", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.Name, "name", "", "node name in the cluster, unique (default: hostname)")
	fs.StringVar(&c.HTTPAddr, "http", DefaultHTTPAddr, "HTTP listen address (ops: /healthz, /readyz, /metrics)")
	fs.StringVar(&c.GRPCAddr, "grpc", DefaultGRPCAddr, "gRPC listen address (shard stream service and admin)")
	fs.StringVar(&c.GossipAddr, "gossip", DefaultGossipAddr, "memberlist bind address")
	fs.StringVar(&c.Advertise, "advertise", "", "host or host:port peers should use when the bind address is not reachable as is")
	fs.StringVar(join, "join", "", "comma-separated peers (host:port) to join")
	fs.StringVar(&c.Storage, "storage", DefaultStorage, "storage: memory, pebble:PATH or a postgres:// URL")
	fs.DurationVar(&c.HibernateAfter, "hibernate-after", DefaultHibernateAfter, "idle time after which a room is evicted from memory (negative: never)")
	fs.Var(ns, "namespace", "bind an extra namespace to a room class, NAME=CLASS (repeatable)")
	fs.StringVar(key, "gossip-key", "", "gossip encryption key, base64 of 16, 24 or 32 bytes")
	fs.StringVar(&c.AdminToken, "admin-token", "", "require this bearer token on admin API calls")
	fs.StringVar(&c.TLS.Cert, "tls-cert", "", "PEM certificate for gRPC (serving and dialing peers); default plaintext")
	fs.StringVar(&c.TLS.Key, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&c.TLS.CA, "tls-ca", "", "PEM CA bundle; makes gRPC TLS mutual (client certificates required and verified)")
	fs.StringVar(&c.TLSServerName, "tls-server-name", "", "name expected in peers' certificates (default: the dialed host)")
	fs.IntVar(&c.MaxRooms, "max-rooms", DefaultMaxRooms, "rooms this shard holds at most (beyond: gateways close the room's sockets 1013; negative: unlimited)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&c.Pprof, "pprof", false, "serve Go runtime profiles on --http under /debug/pprof/ (default off)")
	return fs
}

// Usage writes the shard's flags and their defaults to w.
func Usage(w io.Writer) {
	fs := newFlagSet(&Config{}, new(string), new(string), new(flagenv.Strings))
	fs.SetOutput(w)
	fmt.Fprintln(w, "Usage: shard [flags]\n\nEach flag can also be set as ROOMSHARD_<FLAG> (upper snake case); the flag wins.\n\nFlags:")
	fs.PrintDefaults()
}
