package admin

import (
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// peers caches one client connection per gRPC address of another node.
type peers struct {
	opts []grpc.DialOption

	// protects conns and closed
	mu     sync.Mutex
	conns  map[string]*grpc.ClientConn
	closed bool
}

func newPeers(opts []grpc.DialOption) *peers {
	all := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)
	return &peers{opts: all, conns: map[string]*grpc.ClientConn{}}
}

// client returns an AdminService client for addr, creating its connection
// on first use. When it creates one, it also closes the cached connections
// whose address is no longer live, so departed nodes are not redialed forever.
func (p *peers) client(addr string, live func(addr string) bool) (roomshardv1.AdminServiceClient, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	if cc, ok := p.conns[addr]; ok {
		return roomshardv1.NewAdminServiceClient(cc), nil
	}
	for a, cc := range p.conns {
		if !live(a) {
			_ = cc.Close()
			delete(p.conns, a)
		}
	}
	cc, err := grpc.NewClient(addr, p.opts...)
	if err != nil {
		return nil, fmt.Errorf("admin: dialing %s: %w", addr, err)
	}
	p.conns[addr] = cc
	return roomshardv1.NewAdminServiceClient(cc), nil
}

// close closes every cached connection; later calls to client fail.
func (p *peers) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	var errs []error
	for a, cc := range p.conns {
		if err := cc.Close(); err != nil {
			errs = append(errs, fmt.Errorf("admin: closing connection to %s: %w", a, err))
		}
		delete(p.conns, a)
	}
	return errors.Join(errs...)
}
