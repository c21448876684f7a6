package server_test

import (
	"errors"
	"flag"
	"slices"
	"testing"
	"time"

	"github.com/roomshard/roomshard/shard/server"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseConfigDefaults(t *testing.T) {
	c, err := server.ParseConfig(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name == "" || c.HTTPAddr != ":9100" || c.GRPCAddr != ":7100" || c.GossipAddr != ":7947" ||
		c.Storage != "pebble:./data" || c.HibernateAfter != 10*time.Second || len(c.Join) != 0 ||
		c.LogLevel != "info" || c.LogFormat != "text" || len(c.Classes) != 5 {
		t.Errorf("defaults = %+v", c)
	}
}

func TestParseConfigFlagsAndEnv(t *testing.T) {
	c, err := server.ParseConfig(
		[]string{"--name", "s7", "--grpc", "127.0.0.1:7200", "--namespace", "lobby=broadcast", "--namespace", "ping=echo", "--hibernate-after", "1m"},
		env(map[string]string{
			"ROOMSHARD_NAME":       "from-env", // the flag wins
			"ROOMSHARD_JOIN":       "a:1, b:2",
			"ROOMSHARD_STORAGE":    "postgres://u@db:5432/rooms",
			"ROOMSHARD_GOSSIP_KEY": "MDEyMzQ1Njc4OWFiY2RlZg==",
			"ROOMSHARD_ADVERTISE":  "10.0.0.7",
		}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "s7" || c.GRPCAddr != "127.0.0.1:7200" || !slices.Equal(c.Join, []string{"a:1", "b:2"}) ||
		c.Storage != "postgres://u@db:5432/rooms" || string(c.GossipKey) != "0123456789abcdef" ||
		!slices.Equal(c.Namespaces, []string{"lobby=broadcast", "ping=echo"}) || c.HibernateAfter != time.Minute || c.Advertise != "10.0.0.7" {
		t.Errorf("config = %+v", c)
	}
	c, err = server.ParseConfig(nil, env(map[string]string{"ROOMSHARD_NAMESPACE": "a=echo,b=hibernation", "ROOMSHARD_STORAGE": "memory"}))
	if err != nil || !slices.Equal(c.Namespaces, []string{"a=echo", "b=hibernation"}) || c.Storage != "memory" {
		t.Errorf("env namespaces = %v, %v", c.Namespaces, err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := map[string][]string{
		"storage":          {"--storage", "redis://x"},
		"pebble path":      {"--storage", "pebble:"},
		"postgres url":     {"--storage", "postgres://"},
		"namespace syntax": {"--namespace", "lobby"},
		"namespace class":  {"--namespace", "lobby=nope"},
		"gossip key b64":   {"--gossip-key", "not base64!"},
		"gossip key size":  {"--gossip-key", "YWJj"},
		"address":          {"--http", "9100"},
		"log level":        {"--log-level", "loud"},
		"log format":       {"--log-format", "xml"},
		"duration":         {"--hibernate-after", "soon"},
		"unknown flag":     {"--nope"},
		"positional":       {"extra"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := server.ParseConfig(args, env(nil)); !errors.Is(err, server.ErrConfig) {
				t.Errorf("ParseConfig(%q) = %v, want ErrConfig", args, err)
			}
		})
	}
	if _, err := server.ParseConfig([]string{"-h"}, env(nil)); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h = %v, want flag.ErrHelp", err)
	}
}
