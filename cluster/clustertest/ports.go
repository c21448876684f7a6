package clustertest

import (
	"fmt"
	"net"
)

// FreePort returns a loopback port that was free for both TCP and UDP
// (memberlist binds both). Another process may take it before it is used;
// Start retries with new ports when a process cannot bind.
func FreePort() (int, error) {
	for i := 0; i < 100; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("clustertest: finding a free port: %w", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		udp, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		_ = ln.Close()
		if err != nil {
			continue
		}
		_ = udp.Close()
		return port, nil
	}
	return 0, fmt.Errorf("clustertest: no port free for both TCP and UDP")
}

// FreeAddr returns "127.0.0.1:PORT" for a free port.
func FreeAddr() (string, error) {
	p, err := FreePort()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", p), nil
}
