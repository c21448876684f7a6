package main

import (
	"flag"
	"time"
)

// Defaults of the global flags.
const (
	defaultAddr    = "localhost:7000"
	defaultTimeout = 10 * time.Second
	// dialTimeout bounds connecting, so an unreachable node fails fast.
	dialTimeout = 3 * time.Second
)

// globals are the flags every command takes.
type globals struct {
	addr    string
	output  string
	token   string
	timeout time.Duration
	tlsCA   string
	tlsCert string
	tlsKey  string
	help    bool
}

// register defines the global flags on fs.
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.addr, "addr", defaultAddr, "gRPC address of any cluster node (env ROOMSHARD_ADDR)")
	fs.StringVar(&g.output, "o", "table", "output format: table or json")
	fs.StringVar(&g.output, "output", "table", "output format: table or json")
	fs.StringVar(&g.token, "admin-token", "", "admin bearer token (env ROOMSHARD_ADMIN_TOKEN)")
	fs.DurationVar(&g.timeout, "timeout", defaultTimeout, "time limit of each call")
	fs.StringVar(&g.tlsCA, "tls-ca", "", "CA certificate (PEM) to verify the node with; enables TLS")
	fs.StringVar(&g.tlsCert, "tls-cert", "", "client certificate (PEM) for mutual TLS; needs --tls-key")
	fs.StringVar(&g.tlsKey, "tls-key", "", "client private key (PEM) for mutual TLS")
	fs.BoolVar(&g.help, "h", false, "show help")
	fs.BoolVar(&g.help, "help", false, "show help")
}

// isGlobal reports whether a flag name is one of the global flags.
func isGlobal(name string) bool {
	switch name {
	case "addr", "o", "output", "admin-token", "timeout", "tls-ca", "tls-cert", "tls-key", "h", "help":
		return true
	}
	return false
}

// applyEnv fills --addr and --admin-token from the environment when they
// were not given on the command line.
func (g *globals) applyEnv(fs *flag.FlagSet, getenv func(string) string) {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if v := getenv("ROOMSHARD_ADDR"); v != "" && !given["addr"] {
		g.addr = v
	}
	if v := getenv("ROOMSHARD_ADMIN_TOKEN"); v != "" && !given["admin-token"] {
		g.token = v
	}
}

// check validates the global flags.
func (g *globals) check() error {
	if g.output != "table" && g.output != "json" {
		return usagef("-o %q: want table or json", g.output)
	}
	if g.timeout <= 0 {
		return usagef("--timeout %s: must be positive", g.timeout)
	}
	if (g.tlsCert == "") != (g.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	if g.addr == "" {
		return usagef("--addr is empty")
	}
	return nil
}
