package postgres

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// setUserTimeout makes the kernel fail a connection whose sent data stays
// unacknowledged for tcpUserTimeout (a partition, a frozen server),
// instead of retransmitting for about fifteen minutes.
func setUserTimeout(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(tcpUserTimeout.Milliseconds()))
	})
	if err != nil {
		return err
	}
	return serr
}
