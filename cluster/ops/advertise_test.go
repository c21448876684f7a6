package ops

import (
	"net"
	"testing"
)

func TestAdvertiseAddr(t *testing.T) {
	fallback := privateIPv4()
	if fallback == "" {
		fallback = "127.0.0.1"
	}
	for _, tt := range []struct{ bind, adv, want string }{
		{"0.0.0.0:7000", "", net.JoinHostPort(fallback, "7000")},
		{"[::]:7000", "", net.JoinHostPort(fallback, "7000")},
		{"10.1.2.3:7000", "", "10.1.2.3:7000"},
		{"127.0.0.1:7000", "", "127.0.0.1:7000"},
		{"0.0.0.0:7000", "gw.example", "gw.example:7000"},
		{"0.0.0.0:7000", "gw.example:7946", "gw.example:7000"}, // the port is gossip's
	} {
		addr, err := net.ResolveTCPAddr("tcp", tt.bind)
		if err != nil {
			t.Fatal(err)
		}
		if got := AdvertiseAddr(addr, tt.adv); got != tt.want {
			t.Errorf("AdvertiseAddr(%s, %q) = %s, want %s", tt.bind, tt.adv, got, tt.want)
		}
	}
}

func TestGossipAdvertise(t *testing.T) {
	for _, tt := range []struct{ bind, adv, want string }{
		{"0.0.0.0:7946", "", ""},
		{"0.0.0.0:7946", "10.0.0.7", "10.0.0.7:7946"},
		{"0.0.0.0:7946", "10.0.0.7:8000", "10.0.0.7:8000"},
	} {
		if got := GossipAdvertise(tt.bind, tt.adv); got != tt.want {
			t.Errorf("GossipAdvertise(%s, %q) = %q, want %q", tt.bind, tt.adv, got, tt.want)
		}
	}
}
