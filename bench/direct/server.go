package direct

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server runs a Hub on a TCP listener. Methods are safe for concurrent use.
type Server struct {
	hub  *Hub
	ln   net.Listener
	srv  *http.Server
	done chan error
}

// Listen starts a hub on addr (e.g. "127.0.0.1:0") and serves until Close.
func Listen(addr string, cfg Config) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("direct: listen %s: %w", addr, err)
	}
	h := NewHub(cfg)
	s := &Server{
		hub:  h,
		ln:   ln,
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: nil},
		done: make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Hub returns the server's hub.
func (s *Server) Hub() *Hub { return s.hub }

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URL returns the ws:// base URL of the server.
func (s *Server) URL() string { return "ws://" + s.ln.Addr().String() }

// Close stops accepting, closes every WebSocket with 1001 and waits for all
// goroutines, or until ctx ends.
func (s *Server) Close(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	closed := make(chan struct{})
	go func() {
		s.hub.CloseAll()
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
		s.hub.DropAll()
		<-closed
	}
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
