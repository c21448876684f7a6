package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

const globalFlagsHelp = `Global flags (before or after the arguments):
  --addr HOST:PORT      gRPC address of any node (default localhost:7000, env ROOMSHARD_ADDR)
  -o, --output FORMAT   table or json (default table; watch writes one JSON object per line)
  --admin-token TOKEN   admin bearer token (env ROOMSHARD_ADMIN_TOKEN)
  --timeout DURATION    time limit of each call (default 10s)
  --tls-ca FILE         CA certificate (PEM) to verify the node; enables TLS
  --tls-cert FILE       client certificate (PEM) for mutual TLS, with --tls-key
  --tls-key FILE        client private key (PEM)
  -h, --help            show help
`

// printUsage writes roomctl's general help.
func printUsage(w io.Writer) {
	fmt.Fprint(w, `roomctl operates a roomshard cluster through any node's admin API.

Usage:
  roomctl COMMAND [ARGS] [FLAGS]

Commands:
`)
	t := newTable(w)
	for _, c := range commands() {
		row(t, "  "+strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	_ = t.Flush()
	fmt.Fprint(w, "\n"+globalFlagsHelp+"\nRun 'roomctl help COMMAND' for a command's own flags.\n")
}

// printCommandUsage writes one command's help.
func printCommandUsage(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: roomctl %s\n\n%s.\n", strings.TrimSpace(c.name+" "+c.args), capitalize(c.summary))
	if c.setup != nil {
		fs := newFlagSet(c.name)
		c.setup(fs)
		var own []*flag.Flag
		fs.VisitAll(func(f *flag.Flag) {
			if !isGlobal(f.Name) {
				own = append(own, f)
			}
		})
		if len(own) > 0 {
			fmt.Fprint(w, "\nFlags:\n")
			t := newTable(w)
			for _, f := range own {
				value, usage := flag.UnquoteUsage(f)
				arg := "--" + f.Name
				if !isBoolFlag(f) {
					arg += " " + strings.ToUpper(value)
				}
				if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
					usage += " (default " + f.DefValue + ")"
				}
				row(t, "  "+arg, usage)
			}
			_ = t.Flush()
		}
	}
	fmt.Fprint(w, "\n"+globalFlagsHelp)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
