//go:build unix

package gateway

import (
	"errors"
	"syscall"
)

// readable peeks at the socket without consuming: true when a byte or the
// end of the stream is there. The runtime's readiness flag alone is not
// enough, since data that arrived before the wait has already raised it.
// Any other outcome (a socket error) lets the read that follows report it.
func readable(fd uintptr) bool {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EINTR)
}
