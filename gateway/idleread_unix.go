//go:build unix

package gateway

import (
	"errors"
	"syscall"
)

// emptyPongLen is the size of a client's pong to our empty ping: two
// header bytes (FIN and opcode; MASK and a zero length) and the mask key.
const emptyPongLen = 6

// peekPong looks at the socket without consuming. ready is true when a
// byte or the end of the stream is there (or the socket failed: the read
// that follows reports it); the runtime's readiness flag alone is not
// enough, since data that arrived before the wait has already raised it.
// pong is true when the next frame is an empty masked pong.
func peekPong(fd uintptr) (ready, pong bool) {
	var b [emptyPongLen]byte
	n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	for errors.Is(err, syscall.EINTR) {
		// Not "nothing there": the poller's edge may already be spent, so
		// waiting now could sleep past data that has arrived.
		n, _, err = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	}
	if errors.Is(err, syscall.EAGAIN) {
		return false, false
	}
	return true, err == nil && n == emptyPongLen && b[0] == finBit|opPong && b[1] == 0x80
}

// discardPong consumes the pong peekPong found.
func discardPong(fd uintptr) bool {
	var b [emptyPongLen]byte
	n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_DONTWAIT)
	return err == nil && n == emptyPongLen
}

// writeNonblock writes b to the (non-blocking) socket once and returns how
// many bytes it took; 0 when it would block or failed.
func writeNonblock(fd uintptr, b []byte) int {
	n, err := syscall.Write(int(fd), b)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
