package clustertest

import (
	"fmt"
	"testing"
)

// Cluster is a set of running processes.
type Cluster struct {
	Shards   []*Proc
	Gateways []*Proc
}

// Options shape StartCluster.
type Options struct {
	Shards   int
	Gateways int
	// ShardArgs and GatewayArgs are extra flags for every process of the role.
	ShardArgs   []string
	GatewayArgs []string
}

// StartCluster starts opts.Shards shards (s1, s2, ...) and opts.Gateways
// gateways (g1, g2, ...), all joining the first shard, and waits until each
// is ready.
func StartCluster(t testing.TB, bins Binaries, opts Options) *Cluster {
	t.Helper()
	c := &Cluster{}
	var seed []string
	for i := 1; i <= opts.Shards; i++ {
		p := Start(t, bins, Spec{Role: RoleShard, Name: fmt.Sprintf("s%d", i), Join: seed, Args: opts.ShardArgs})
		if seed == nil {
			seed = []string{p.Gossip}
		}
		c.Shards = append(c.Shards, p)
	}
	for i := 1; i <= opts.Gateways; i++ {
		c.Gateways = append(c.Gateways, Start(t, bins, Spec{Role: RoleGateway, Name: fmt.Sprintf("g%d", i), Join: seed, Args: opts.GatewayArgs}))
	}
	return c
}

// SeedGossip is the gossip address others join.
func (c *Cluster) SeedGossip() string { return c.Shards[0].Gossip }
