package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/admin"
)

// conn is roomctl's connection to one node.
type conn struct {
	addr   string
	cc     *grpc.ClientConn
	client roomshardv1.AdminServiceClient
	dialer *recordingDialer
}

// dial prepares a connection to g.addr; nothing is sent until the first
// call, which fails fast when the node cannot be reached.
func dial(g *globals) (*conn, error) {
	creds, err := transportCredentials(g)
	if err != nil {
		return nil, err
	}
	d := &recordingDialer{d: net.Dialer{Timeout: dialTimeout}}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithContextDialer(d.dial),
		grpc.WithDefaultCallOptions(grpc.WaitForReady(false)),
	}
	if g.token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(admin.BearerToken(g.token)))
	}
	cc, err := grpc.NewClient(g.addr, opts...)
	if err != nil {
		return nil, usagef("--addr %q: %v", g.addr, err)
	}
	return &conn{addr: g.addr, cc: cc, client: roomshardv1.NewAdminServiceClient(cc), dialer: d}, nil
}

func (c *conn) close() { _ = c.cc.Close() }

// transportCredentials is TLS when a CA or a client certificate is given,
// plaintext otherwise.
func transportCredentials(g *globals) (credentials.TransportCredentials, error) {
	if g.tlsCA == "" && g.tlsCert == "" {
		return insecure.NewCredentials(), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if g.tlsCA != "" {
		pem, err := os.ReadFile(g.tlsCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s: no PEM certificate in it", g.tlsCA)
		}
		cfg.RootCAs = pool
	}
	if g.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(g.tlsCert, g.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return credentials.NewTLS(cfg), nil
}

// recordingDialer dials TCP and remembers how the last attempt went, so an
// unreachable node can be reported by its plain cause.
type recordingDialer struct {
	d net.Dialer

	// protects lastErr and connected
	mu        sync.Mutex
	lastErr   error
	connected bool
}

func (r *recordingDialer) dial(ctx context.Context, addr string) (net.Conn, error) {
	c, err := r.d.DialContext(ctx, "tcp", addr)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.lastErr = err
	} else {
		r.lastErr, r.connected = nil, true
	}
	return c, err
}

// state reports whether some dial succeeded and the last dial's error
// (nil once one succeeds).
func (r *recordingDialer) state() (connected bool, lastErr error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.connected, r.lastErr
}

// describe turns a call's error into roomctl's one-line message.
func (c *conn) describe(err error, g *globals) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	connected, dialErr := c.dialer.state()
	msg := st.Message()
	switch st.Code() {
	case codes.Unavailable:
		if dialErr != nil {
			return fmt.Errorf("cannot reach %s: %s", c.addr, dialCause(dialErr))
		}
		// The admin service's own Unavailable answers start with "admin:";
		// anything else is about the connection to the node.
		if !connected || !strings.HasPrefix(msg, "admin:") {
			cause := transportCause(msg)
			if g.tlsCA == "" && g.tlsCert == "" && strings.Contains(cause, "server preface") {
				cause += " (does the node use TLS? try --tls-ca)"
			}
			return fmt.Errorf("cannot reach %s: %s", c.addr, cause)
		}
	case codes.DeadlineExceeded:
		if !connected {
			return fmt.Errorf("cannot reach %s: no answer within %s", c.addr, g.timeout)
		}
		return fmt.Errorf("%s did not answer within %s (--timeout): %s", c.addr, g.timeout, msg)
	case codes.Unauthenticated:
		return fmt.Errorf("%s refused the call: %s (set --admin-token or ROOMSHARD_ADMIN_TOKEN)", c.addr, msg)
	}
	return fmt.Errorf("%s (%s)", msg, st.Code())
}

// dialCause is the plain reason of a failed TCP dial, such as
// "connection refused" or "i/o timeout".
func dialCause(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		var sys *os.SyscallError
		if errors.As(op.Err, &sys) {
			return sys.Err.Error()
		}
		return op.Err.Error()
	}
	return err.Error()
}

// transportCause strips gRPC's wrapping from a transport error message.
func transportCause(msg string) string {
	msg = strings.TrimPrefix(msg, "connection error: desc = ")
	msg = strings.Trim(msg, `"`)
	msg = strings.TrimPrefix(msg, "transport: ")
	msg = strings.TrimPrefix(msg, "Error while dialing: ")
	return strings.ReplaceAll(msg, `\"`, `"`)
}
