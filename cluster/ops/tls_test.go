package ops_test

import (
	"errors"
	"testing"

	"github.com/roomshard/roomshard/cluster/ops"
	"github.com/roomshard/roomshard/cluster/ops/opstest"
)

func TestTLSFilesCheck(t *testing.T) {
	good := opstest.WriteTLS(t)
	tests := []struct {
		name  string
		files ops.TLSFiles
		ok    bool
	}{
		{"plaintext", ops.TLSFiles{}, true},
		{"server TLS", ops.TLSFiles{Cert: good.Cert, Key: good.Key}, true},
		{"mutual TLS", good, true},
		{"cert without key", ops.TLSFiles{Cert: good.Cert}, false},
		{"CA alone", ops.TLSFiles{CA: good.CA}, false},
		{"missing file", ops.TLSFiles{Cert: good.Cert, Key: good.Key + ".none"}, false},
		{"CA not PEM", ops.TLSFiles{Cert: good.Cert, Key: good.Key, CA: good.Key}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.files.Check()
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ops.ErrTLSConfig)) {
				t.Fatalf("Check = %v", err)
			}
			if err != nil {
				return
			}
			srv, err := tt.files.ServerOptions()
			if err != nil || (len(srv) == 0) != !tt.files.Enabled() {
				t.Fatalf("ServerOptions = %v, %v", srv, err)
			}
			if _, err := tt.files.DialOption(""); err != nil {
				t.Fatal(err)
			}
		})
	}
}
