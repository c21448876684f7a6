package membership

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
	"google.golang.org/protobuf/proto"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/ring"
)

// Member is one node as this node sees it.
type Member struct {
	Name       string
	GossipAddr string
	Meta       *roomshardv1.NodeMeta
	// Health is "alive"; dead and left nodes are not members. (memberlist
	// does not report suspicion through its event delegate.)
	Health string
}

// IsActiveShard reports whether the member belongs on the ring.
func (m Member) IsActiveShard() bool {
	return m.Meta.GetRole() == roomshardv1.Role_ROLE_SHARD &&
		m.Meta.GetState() == roomshardv1.MemberState_MEMBER_STATE_ACTIVE
}

// Event is one change seen by this node.
type Event struct {
	// Kind is "join", "leave", "update" or "ring".
	Kind   string
	Member Member
	// Ring is the ring after the change (set for every kind).
	Ring *ring.Ring
	At   time.Time
}

// snapshot is an immutable view swapped in whole on every change.
type snapshot struct {
	members []Member // sorted by name
	byName  map[string]Member
	ring    *ring.Ring
	// namespaces maps a namespace to its room class, learned from shards.
	namespaces map[string]string
}

// Membership is this node's handle on the cluster.
type Membership struct {
	cfg  Config
	ml   *memberlist.Memberlist
	meta atomic.Pointer[roomshardv1.NodeMeta]
	view atomic.Pointer[snapshot]

	kick chan struct{}
	stop chan struct{}
	done sync.WaitGroup

	// protects nodes, pending and subs
	mu sync.Mutex
	// nodes is this node's copy of memberlist's members, taken inside
	// memberlist's event callbacks: memberlist mutates the *Node values
	// that Members() returns without holding a lock we could take.
	nodes   map[string]Member
	pending []Event
	subs    map[chan Event]struct{}
}

// Start creates the memberlist node, begins joining cfg.Join in the
// background and returns once the node listens.
func Start(ctx context.Context, cfg Config) (*Membership, error) {
	cfg.ensureDefaults()
	if cfg.Name == "" {
		return nil, ErrNoName
	}
	m := &Membership{
		cfg:   cfg,
		kick:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		subs:  make(map[chan Event]struct{}),
		nodes: make(map[string]Member),
	}
	m.meta.Store(&roomshardv1.NodeMeta{
		Role:        cfg.Role,
		GrpcAddr:    cfg.GRPCAddr,
		HttpAddr:    cfg.HTTPAddr,
		State:       roomshardv1.MemberState_MEMBER_STATE_ACTIVE,
		Namespaces:  cfg.Namespaces,
		Incarnation: time.Now().UnixMilli(),
	})
	m.view.Store(&snapshot{byName: map[string]Member{}, ring: ring.New(nil, 0), namespaces: map[string]string{}})

	mlc, err := m.memberlistConfig()
	if err != nil {
		return nil, err
	}
	ml, err := memberlist.Create(mlc)
	if err != nil {
		return nil, fmt.Errorf("membership: starting memberlist on %s: %w", cfg.BindAddr, err)
	}
	m.ml = ml
	m.rebuild()
	m.done.Add(2)
	go m.loop()
	go m.joinLoop(ctx)
	return m, nil
}

func (m *Membership) memberlistConfig() (*memberlist.Config, error) {
	c := memberlist.DefaultLANConfig()
	c.Name = m.cfg.Name
	host, port, err := splitHostPort(m.cfg.BindAddr)
	if err != nil {
		return nil, fmt.Errorf("membership: gossip bind address %q: %w", m.cfg.BindAddr, err)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	c.BindAddr, c.BindPort = host, port
	c.AdvertisePort = port
	if m.cfg.AdvertiseAddr != "" {
		ahost, aport, err := splitHostPort(m.cfg.AdvertiseAddr)
		if err != nil {
			return nil, fmt.Errorf("membership: advertise address %q: %w", m.cfg.AdvertiseAddr, err)
		}
		if ip := net.ParseIP(ahost); ip == nil {
			addrs, err := net.LookupHost(ahost)
			if err != nil || len(addrs) == 0 {
				return nil, fmt.Errorf("membership: resolving advertise host %q: %w", ahost, err)
			}
			ahost = addrs[0]
		}
		c.AdvertiseAddr, c.AdvertisePort = ahost, aport
	}
	c.ProbeInterval = m.cfg.ProbeInterval
	c.ProbeTimeout = m.cfg.ProbeTimeout
	c.SuspicionMult = m.cfg.SuspicionMult
	c.SuspicionMaxTimeoutMult = m.cfg.SuspicionMaxTimeoutMult
	c.GossipInterval = m.cfg.GossipInterval
	c.PushPullInterval = m.cfg.PushPullInterval
	// A restarted pod keeps its name but may get a new address; let it
	// reclaim the name at once instead of after memberlist's default.
	c.DeadNodeReclaimTime = time.Nanosecond
	if len(m.cfg.GossipKey) > 0 {
		c.SecretKey = m.cfg.GossipKey
	}
	c.Delegate = (*delegate)(m)
	c.Events = (*delegate)(m)
	c.Logger = newMemberlistLogger(m.cfg.Logger)
	return c, nil
}

func splitHostPort(addr string) (string, int, error) {
	host, sport, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(sport)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", sport, err)
	}
	return host, port, nil
}

// joinLoop joins the configured peers, retrying while this node is alone.
func (m *Membership) joinLoop(ctx context.Context) {
	defer m.done.Done()
	if len(m.cfg.Join) == 0 {
		return
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if m.ml.NumMembers() <= 1 {
			n, err := m.ml.Join(m.cfg.Join)
			if err != nil && n == 0 {
				m.cfg.Logger.Debug("joining cluster", "peers", m.cfg.Join, "err", err)
			} else if n > 0 {
				m.cfg.Logger.Info("joined cluster", "contacted", n)
			}
		}
		t.Reset(m.cfg.JoinRetry)
	}
}

// loop is the one goroutine that rebuilds the view.
func (m *Membership) loop() {
	defer m.done.Done()
	for {
		select {
		case <-m.stop:
			return
		case <-m.kick:
			m.rebuild()
		}
	}
}

func (m *Membership) signal() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// rebuild reads memberlist's members and swaps in a new snapshot.
func (m *Membership) rebuild() {
	m.mu.Lock()
	nodes := make([]Member, 0, len(m.nodes))
	for _, mem := range m.nodes {
		nodes = append(nodes, mem)
	}
	m.mu.Unlock()
	s := &snapshot{byName: make(map[string]Member, len(nodes)), namespaces: map[string]string{}}
	var shards []ring.Node
	for _, mem := range nodes {
		s.members = append(s.members, mem)
		s.byName[mem.Name] = mem
		if mem.Meta.GetRole() == roomshardv1.Role_ROLE_SHARD {
			for _, b := range mem.Meta.GetNamespaces() {
				if ns, class, ok := cutBinding(b); ok {
					s.namespaces[ns] = class
				}
			}
		}
		if mem.IsActiveShard() {
			shards = append(shards, ring.Node{Name: mem.Name, Addr: mem.Meta.GetGrpcAddr()})
		}
	}
	sort.Slice(s.members, func(i, j int) bool { return s.members[i].Name < s.members[j].Name })
	s.ring = ring.New(shards, 0)
	old := m.view.Swap(s)

	m.mu.Lock()
	events := m.pending
	m.pending = nil
	if old != nil && old.ring.Version() != s.ring.Version() {
		events = append(events, Event{Kind: "ring", At: time.Now()})
	}
	for i := range events {
		events[i].Ring = s.ring
		for ch := range m.subs {
			select {
			case ch <- events[i]:
			default: // a slow subscriber misses events; it can re-read the view
			}
		}
	}
	m.mu.Unlock()
}

func cutBinding(b string) (string, string, bool) {
	for i := 0; i < len(b); i++ {
		if b[i] == '=' {
			return b[:i], b[i+1:], true
		}
	}
	return "", "", false
}

func toMember(n *memberlist.Node) Member {
	meta := &roomshardv1.NodeMeta{}
	_ = proto.Unmarshal(n.Meta, meta) // a peer with bad meta shows with empty meta
	return Member{Name: n.Name, GossipAddr: net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port))), Meta: meta, Health: "alive"}
}

// Name is this node's name.
func (m *Membership) Name() string { return m.cfg.Name }

// Members returns every alive or suspect member sorted by name.
func (m *Membership) Members() []Member { return slices.Clone(m.view.Load().members) }

// Member returns the member with that name.
func (m *Membership) Member(name string) (Member, bool) {
	mem, ok := m.view.Load().byName[name]
	return mem, ok
}

// Ring returns the current ring over the active shards.
func (m *Membership) Ring() *ring.Ring { return m.view.Load().ring }

// NamespaceClass returns the class bound to a namespace by any shard.
func (m *Membership) NamespaceClass(namespace string) (string, bool) {
	c, ok := m.view.Load().namespaces[namespace]
	return c, ok
}

// Namespaces returns every namespace binding learned from shards.
func (m *Membership) Namespaces() map[string]string {
	out := map[string]string{}
	for k, v := range m.view.Load().namespaces {
		out[k] = v
	}
	return out
}

// Local returns this node's current metadata.
func (m *Membership) Local() *roomshardv1.NodeMeta { return m.meta.Load() }

// SetState gossips a new state for this node (for example draining).
func (m *Membership) SetState(ctx context.Context, state roomshardv1.MemberState) error {
	meta := proto.Clone(m.meta.Load()).(*roomshardv1.NodeMeta)
	meta.State = state
	m.meta.Store(meta)
	timeout := 5 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	err := m.ml.UpdateNode(timeout)
	m.signal()
	if err != nil {
		return fmt.Errorf("membership: gossiping state %s: %w", state, err)
	}
	return nil
}

// Subscribe returns a channel of changes. Events are dropped, not queued,
// while the subscriber lags by more than 64; the current view is always
// readable with Members and Ring. Call cancel to unsubscribe.
func (m *Membership) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, 64)
	m.mu.Lock()
	m.subs[ch] = struct{}{}
	m.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			m.mu.Lock()
			delete(m.subs, ch)
			m.mu.Unlock()
		})
	}
}

// Leave tells the cluster this node is leaving, waiting up to timeout.
func (m *Membership) Leave(timeout time.Duration) error {
	if err := m.ml.Leave(timeout); err != nil {
		return fmt.Errorf("membership: leaving: %w", err)
	}
	return nil
}

// Shutdown stops gossip and the view goroutine. Call Leave first for a
// graceful exit.
func (m *Membership) Shutdown() error {
	select {
	case <-m.stop:
		return nil
	default:
	}
	close(m.stop)
	err := m.ml.Shutdown()
	m.done.Wait()
	if err != nil {
		return fmt.Errorf("membership: shutting down memberlist: %w", err)
	}
	return nil
}

// delegate adapts Membership to memberlist's Delegate and EventDelegate.
// memberlist calls these from its own goroutines; they must not block.
type delegate Membership

func (d *delegate) NodeMeta(limit int) []byte {
	b, _ := proto.Marshal(d.meta.Load())
	if len(b) > limit {
		d.cfg.Logger.Error("node metadata too large; gossiping it truncated", "bytes", len(b), "limit", limit, "err", ErrMetaTooLarge)
		return nil
	}
	return b
}
func (d *delegate) NotifyMsg([]byte)                           {}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}

func (d *delegate) NotifyJoin(n *memberlist.Node)   { d.queue("join", n) }
func (d *delegate) NotifyLeave(n *memberlist.Node)  { d.queue("leave", n) }
func (d *delegate) NotifyUpdate(n *memberlist.Node) { d.queue("update", n) }

// queue copies n while memberlist still holds its lock on it.
func (d *delegate) queue(kind string, n *memberlist.Node) {
	mem := toMember(n)
	d.mu.Lock()
	if kind == "leave" {
		delete(d.nodes, mem.Name)
	} else {
		d.nodes[mem.Name] = mem
	}
	d.pending = append(d.pending, Event{Kind: kind, Member: mem, At: time.Now()})
	d.mu.Unlock()
	(*Membership)(d).signal()
}

// GossipAddr is the address peers use to reach this node's gossip, with the
// real port when the bind port was 0.
func (m *Membership) GossipAddr() string {
	n := m.ml.LocalNode()
	return net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port)))
}
