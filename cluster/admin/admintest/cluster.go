package admintest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/admin"
	"github.com/roomshard/roomshard/cluster/membership"
	"github.com/roomshard/roomshard/cluster/ops"
	"github.com/roomshard/roomshard/cluster/roomid"
)

// BuiltinNamespaces returns the bindings fake shards advertise by default.
func BuiltinNamespaces() []string {
	return []string{"echo=echo", "broadcast=broadcast", "hibernation=hibernation", "chat=chat", "counter=counter"}
}

// Options shape a test cluster. Zero fields take the defaults on each.
type Options struct {
	// Shards is how many fake shards start, named s1, s2, … Default 3.
	Shards int
	// Gateways is how many gateways start, named g1, g2, … Default 1.
	Gateways int
	// Token is every node's admin token. Default empty: no check.
	Token string
	// Namespaces are the shards' bindings. Default BuiltinNamespaces().
	Namespaces []string
}

// Node is one started node.
type Node struct {
	Name       string
	Role       roomshardv1.Role
	GRPCAddr   string
	Membership *membership.Membership
	Admin      *admin.Server
	// Local is the shard's fake; nil for gateways.
	Local *FakeLocal

	stopGRPC func()
}

// StopGRPC stops the node's gRPC server at once while its membership stays:
// the node is then a member that does not answer.
func (n *Node) StopGRPC() { n.stopGRPC() }

// Cluster is a set of started nodes.
type Cluster struct {
	t     testing.TB
	opts  Options
	Nodes []*Node
}

// Start starts shards then gateways, all joining the first node, and waits
// until every node sees every other one.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.Shards == 0 {
		opts.Shards = 3
	}
	if opts.Gateways == 0 {
		opts.Gateways = 1
	}
	if opts.Namespaces == nil {
		opts.Namespaces = BuiltinNamespaces()
	}
	c := &Cluster{t: t, opts: opts}
	// One node at a time: memberlist nodes that join the same seed at the
	// same instant can miss each other until the next full state sync
	// (memberlist's PushPullInterval, 30 s).
	for i := 1; i <= opts.Shards; i++ {
		c.AddNode(fmt.Sprintf("s%d", i), roomshardv1.Role_ROLE_SHARD)
		c.WaitConverged()
	}
	for i := 1; i <= opts.Gateways; i++ {
		c.AddNode(fmt.Sprintf("g%d", i), roomshardv1.Role_ROLE_GATEWAY)
		c.WaitConverged()
	}
	return c
}

// AddNode starts one more node that joins the cluster; it does not wait
// for the others to see it.
func (c *Cluster) AddNode(name string, role roomshardv1.Role) *Node {
	c.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.t.Fatalf("listening for %s: %v", name, err)
	}
	quiet := slog.New(slog.DiscardHandler)
	mc := membership.Config{
		Name:           name,
		Role:           role,
		BindAddr:       "127.0.0.1:0",
		GRPCAddr:       ln.Addr().String(),
		GossipInterval: 20 * time.Millisecond,
		ProbeInterval:  time.Second,
		ProbeTimeout:   500 * time.Millisecond,
		JoinRetry:      50 * time.Millisecond,
		Logger:         quiet,
	}
	if len(c.Nodes) > 0 {
		mc.Join = []string{c.Nodes[0].Membership.GossipAddr()}
	}
	n := &Node{Name: name, Role: role, GRPCAddr: ln.Addr().String()}
	if role == roomshardv1.Role_ROLE_SHARD {
		mc.Namespaces = c.opts.Namespaces
		n.Local = NewFakeLocal(name)
	}
	n.Membership, err = membership.Start(context.Background(), mc)
	if err != nil {
		_ = ln.Close()
		c.t.Fatalf("starting membership for %s: %v", name, err)
	}
	cfg := admin.Config{Membership: n.Membership, Logger: quiet, Token: c.opts.Token}
	if n.Local != nil {
		cfg.Local = n.Local
	}
	n.Admin = admin.NewServer(cfg)
	gs, _ := ops.NewGRPCServer(
		grpc.ChainUnaryInterceptor(n.Admin.UnaryInterceptor()),
		grpc.ChainStreamInterceptor(n.Admin.StreamInterceptor()),
	)
	n.Admin.Register(gs)
	stop := ops.ServeGRPC(gs, ln, nil)
	var once sync.Once
	n.stopGRPC = func() {
		once.Do(func() {
			_ = n.Admin.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			stop(ctx)
		})
	}
	c.t.Cleanup(func() {
		n.stopGRPC()
		_ = n.Membership.Shutdown()
	})
	c.Nodes = append(c.Nodes, n)
	return n
}

// Remove makes the named node leave the cluster gracefully and stops its
// gossip (its gRPC server stays up until cleanup).
func (c *Cluster) Remove(name string) {
	c.t.Helper()
	n := c.Node(name)
	if err := n.Membership.Leave(2 * time.Second); err != nil {
		c.t.Fatalf("%s leaving: %v", name, err)
	}
	if err := n.Membership.Shutdown(); err != nil {
		c.t.Fatalf("%s shutting down: %v", name, err)
	}
	c.Nodes = slices.DeleteFunc(c.Nodes, func(m *Node) bool { return m == n })
}

// WaitConverged waits until every node sees exactly the cluster's nodes and
// all agree on the ring version.
func (c *Cluster) WaitConverged() {
	c.t.Helper()
	WaitFor(c.t, 10*time.Second, func() error {
		want := len(c.Nodes)
		version := c.Nodes[0].Membership.Ring().Version()
		for _, n := range c.Nodes {
			if got := len(n.Membership.Members()); got != want {
				return fmt.Errorf("%s sees %d members, want %d", n.Name, got, want)
			}
			if v := n.Membership.Ring().Version(); v != version {
				return fmt.Errorf("%s has ring %x, %s has %x", n.Name, v, c.Nodes[0].Name, version)
			}
		}
		return nil
	})
}

// Node returns the named node, failing the test when there is none.
func (c *Cluster) Node(name string) *Node {
	c.t.Helper()
	for _, n := range c.Nodes {
		if n.Name == name {
			return n
		}
	}
	c.t.Fatalf("no node %s", name)
	return nil
}

// AddRoom puts room name of namespace, with sockets sockets named
// "NAME-1", "NAME-2", …, on the shard the ring gives it to, and returns the
// room's id.
func (c *Cluster) AddRoom(namespace, name string, sockets int) string {
	c.t.Helper()
	id := roomid.FromName(namespace, name)
	owner, ok := c.Nodes[0].Membership.Ring().Owner(id)
	if !ok {
		c.t.Fatal("AddRoom: the ring is empty")
	}
	var socks []*roomshardv1.Socket
	for i := 1; i <= sockets; i++ {
		socks = append(socks, &roomshardv1.Socket{
			Id:       fmt.Sprintf("%s-%d", name, i),
			Tags:     []string{"t" + fmt.Sprint(i)},
			Gateway:  "g1",
			Accepted: true,
		})
	}
	c.Node(owner.Name).Local.AddRoom(&roomshardv1.RoomInfo{Id: id, Namespace: namespace, Name: name, Gateways: 1}, socks...)
	return id
}

// Client returns an AdminService client for node n that sends token (none
// when empty); its connection is closed at cleanup.
func (c *Cluster) Client(n *Node, token string) roomshardv1.AdminServiceClient {
	c.t.Helper()
	return roomshardv1.NewAdminServiceClient(c.Conn(n, token))
}

// Conn dials node n's gRPC server, sending token when not empty.
func (c *Cluster) Conn(n *Node, token string) *grpc.ClientConn {
	c.t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(admin.BearerToken(token)))
	}
	cc, err := grpc.NewClient(n.GRPCAddr, opts...)
	if err != nil {
		c.t.Fatalf("dialing %s: %v", n.Name, err)
	}
	c.t.Cleanup(func() { _ = cc.Close() })
	return cc
}
