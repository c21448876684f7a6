package ops

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// ErrTLSConfig reports unusable --tls-cert, --tls-key or --tls-ca values.
var ErrTLSConfig = errors.New("ops: bad TLS config")

// TLSFiles names the PEM files a node's gRPC uses (SPEC §10). The zero
// value means plaintext. With Cert and Key the node serves TLS and presents
// the same certificate when it dials other nodes; with CA as well, TLS is
// mutual: the server requires and verifies client certificates signed by
// CA, and the client verifies servers against CA (instead of the system
// roots).
type TLSFiles struct {
	// Cert is the PEM certificate chain. Default: none (plaintext).
	Cert string
	// Key is the PEM private key of Cert. Required with Cert.
	Key string
	// CA is the PEM bundle of the cluster's certificate authority.
	// Default: none (servers then need no client certificate, and clients
	// verify servers against the system roots).
	CA string
}

// Enabled reports whether any TLS file is set.
func (f TLSFiles) Enabled() bool { return f.Cert != "" || f.Key != "" || f.CA != "" }

// Check validates the combination and that the files load.
func (f TLSFiles) Check() error {
	_, _, err := f.load()
	return err
}

// load reads the key pair and CA pool; either may be absent.
func (f TLSFiles) load() (*tls.Certificate, *x509.CertPool, error) {
	if !f.Enabled() {
		return nil, nil, nil
	}
	if (f.Cert == "") != (f.Key == "") {
		return nil, nil, fmt.Errorf("%w: --tls-cert and --tls-key go together", ErrTLSConfig)
	}
	if f.Cert == "" {
		return nil, nil, fmt.Errorf("%w: --tls-ca needs --tls-cert and --tls-key", ErrTLSConfig)
	}
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: --tls-cert/--tls-key: %w", ErrTLSConfig, err)
	}
	if f.CA == "" {
		return &cert, nil, nil
	}
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: --tls-ca: %w", ErrTLSConfig, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("%w: --tls-ca %s: no PEM certificate in it", ErrTLSConfig, f.CA)
	}
	return &cert, pool, nil
}

// ServerOptions are the grpc.ServerOptions for f: none for plaintext,
// TLS credentials otherwise (requiring verified client certificates when
// CA is set).
func (f TLSFiles) ServerOptions() ([]grpc.ServerOption, error) {
	cert, pool, err := f.load()
	if err != nil || cert == nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*cert}}
	if pool != nil {
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return []grpc.ServerOption{grpc.Creds(credentials.NewTLS(cfg))}, nil
}

// DialOption is how a node dials other nodes: insecure for plaintext, else
// TLS presenting the node's own certificate and verifying the peer against
// CA. Nodes dial each other by IP, so the peer's certificate must name the
// address dialed (an IP SAN), or serverName must be set to a name it has.
func (f TLSFiles) DialOption(serverName string) (grpc.DialOption, error) {
	cert, pool, err := f.load()
	if err != nil {
		return nil, err
	}
	if cert == nil {
		return grpc.WithTransportCredentials(insecure.NewCredentials()), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*cert}, RootCAs: pool, ServerName: serverName}
	return grpc.WithTransportCredentials(credentials.NewTLS(cfg)), nil
}
