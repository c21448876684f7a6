package admin

import (
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// Server implements roomshardv1.AdminServiceServer for one node.
type Server struct {
	roomshardv1.UnimplementedAdminServiceServer

	cfg   Config
	peers *peers

	closed    chan struct{}
	closeOnce sync.Once
	watchers  atomic.Int64
}

// NewServer returns a Server for cfg. cfg.Membership is required; NewServer
// panics without it, as that is a programming error.
func NewServer(cfg Config) *Server {
	if cfg.Membership == nil {
		panic("admin: NewServer needs a Membership")
	}
	cfg.ensureDefaults()
	return &Server{
		cfg:    cfg,
		peers:  newPeers(cfg.DialOptions),
		closed: make(chan struct{}),
	}
}

// Register adds the AdminService to r. Every method it registers checks
// Config.Token, whether or not the process also installs the interceptors.
func (s *Server) Register(r grpc.ServiceRegistrar) {
	r.RegisterService(s.guardedServiceDesc(), s)
}

// Close ends every WatchCluster stream, makes further forwarding fail and
// closes the cached connections to other nodes. It is idempotent.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		err = s.peers.close()
	})
	return err
}

// Watchers is the number of WatchCluster streams being served.
func (s *Server) Watchers() int { return int(s.watchers.Load()) }

// self is this node's name.
func (s *Server) self() string { return s.cfg.Membership.Name() }

// isClosed reports whether Close was called.
func (s *Server) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}
