package gateway

import (
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
)

// maxShardMessage bounds a RoomResponse the gateway accepts: a shard may
// batch many Deliver frames, each up to the message size limit.
const maxShardMessage = 64 << 20

// shardConnectParams replace gRPC's reconnect defaults (20 s per connect
// attempt, backoff up to 120 s), which are made for servers that come back
// slowly. A shard that is partitioned away or frozen while a connection to
// it is being set up would otherwise hold every room stream on that
// connection for up to 20 s after it is reachable again; its rooms are
// served again only as fast as this reconnects.
var shardConnectParams = grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
	MinConnectTimeout: 2 * time.Second,
}

// dialer caches one gRPC client connection per shard address, shared by
// every room stream and connection count. Safe for concurrent use.
type dialer struct {
	opts []grpc.DialOption

	// protects conns and closed
	mu     sync.Mutex
	conns  map[string]*grpc.ClientConn
	closed bool
}

func newDialer(opts ...grpc.DialOption) *dialer {
	base := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxShardMessage)),
		grpc.WithConnectParams(shardConnectParams),
	}
	return &dialer{opts: append(base, opts...), conns: map[string]*grpc.ClientConn{}}
}

// get returns the connection to addr, creating it (lazily connecting) on
// first use.
func (d *dialer) get(addr string) (*grpc.ClientConn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	if cc := d.conns[addr]; cc != nil {
		return cc, nil
	}
	cc, err := grpc.NewClient(addr, d.opts...)
	if err != nil {
		return nil, fmt.Errorf("gateway: dialing shard %s: %w", addr, err)
	}
	d.conns[addr] = cc
	return cc, nil
}

// forget closes the cached connection to addr (a shard that left the
// cluster); streams still on it break and their rooms re-open elsewhere.
func (d *dialer) forget(addr string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cc := d.conns[addr]; cc != nil {
		_ = cc.Close()
		delete(d.conns, addr)
	}
}

// close closes every connection; later gets fail with ErrClosed.
func (d *dialer) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	for addr, cc := range d.conns {
		_ = cc.Close()
		delete(d.conns, addr)
	}
}
