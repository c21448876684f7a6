package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/admin"
	"github.com/roomshard/roomshard/cluster/membership"
	"github.com/roomshard/roomshard/cluster/ops"
)

// testCA issues certificates for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "roomctl test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a leaf certificate for 127.0.0.1 usable by servers and clients.
func (ca *testCA) issue(t *testing.T, serial int64) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "node"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// writePEM writes a certificate and its key as PEM files.
func writePEM(t *testing.T, dir, name string, c tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	keyDER, err := x509.MarshalECPrivateKey(c.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	must(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o600))
	must(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// tlsNode serves the admin service of a lone gateway over TLS, requiring a
// client certificate when mutual, and returns its address.
func tlsNode(t *testing.T, ca *testCA, mutual bool) string {
	t.Helper()
	m, err := membership.Start(context.Background(), membership.Config{
		Name: "tls-gw", Role: roomshardv1.Role_ROLE_GATEWAY, BindAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler),
	})
	must(t, err)
	t.Cleanup(func() { _ = m.Shutdown() })
	srv := admin.NewServer(admin.Config{Membership: m, Logger: slog.New(slog.DiscardHandler)})
	cfg := &tls.Config{Certificates: []tls.Certificate{ca.issue(t, 2)}, MinVersion: tls.VersionTLS12}
	if mutual {
		pool := x509.NewCertPool()
		pool.AddCert(ca.cert)
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	gs, _ := ops.NewGRPCServer(grpc.Creds(credentials.NewTLS(cfg)))
	srv.Register(gs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	stop := ops.ServeGRPC(gs, ln, nil)
	t.Cleanup(func() {
		_ = srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		stop(ctx)
	})
	return ln.Addr().String()
}

func TestTLS(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	must(t, os.WriteFile(caFile, ca.pem, 0o600))
	certFile, keyFile := writePEM(t, dir, "client", ca.issue(t, 3))
	otherCA := newTestCA(t)
	otherCAFile := filepath.Join(dir, "other-ca.pem")
	must(t, os.WriteFile(otherCAFile, otherCA.pem, 0o600))

	t.Run("server TLS", func(t *testing.T) {
		addr := tlsNode(t, ca, false)
		roomctl(t, nil, "members", "--addr", addr, "--tls-ca", caFile).ok(t)
		if r := roomctl(t, nil, "members", "--addr", addr); r.code != 1 || !strings.HasPrefix(r.stderr, "roomctl: cannot reach "+addr) || !strings.Contains(r.stderr, "--tls-ca") {
			t.Errorf("plaintext against TLS: %+v", r)
		}
		if r := roomctl(t, nil, "members", "--addr", addr, "--tls-ca", otherCAFile); r.code != 1 || !strings.Contains(r.stderr, "certificate") {
			t.Errorf("untrusted server: %+v", r)
		}
	})
	t.Run("mutual TLS", func(t *testing.T) {
		addr := tlsNode(t, ca, true)
		roomctl(t, nil, "ring", "--addr", addr, "--tls-ca", caFile, "--tls-cert", certFile, "--tls-key", keyFile).ok(t)
		if r := roomctl(t, nil, "ring", "--addr", addr, "--tls-ca", caFile); r.code != 1 || !strings.HasPrefix(r.stderr, "roomctl: cannot reach "+addr) {
			t.Errorf("without a client certificate: %+v", r)
		}
	})
	t.Run("bad files", func(t *testing.T) {
		if r := roomctl(t, nil, "ring", "--tls-ca", certFile+".missing"); r.code != 1 || !strings.Contains(r.stderr, "--tls-ca") {
			t.Errorf("missing CA: %+v", r)
		}
		if r := roomctl(t, nil, "ring", "--tls-ca", keyFile); r.code != 1 || !strings.Contains(r.stderr, "no PEM certificate") {
			t.Errorf("CA file without a certificate: %+v", r)
		}
		if r := roomctl(t, nil, "ring", "--tls-cert", certFile, "--tls-key", caFile); r.code != 1 || !strings.Contains(r.stderr, "--tls-cert/--tls-key") {
			t.Errorf("mismatched key: %+v", r)
		}
	})
}
