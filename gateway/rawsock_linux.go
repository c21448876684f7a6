//go:build linux

package gateway

import (
	"errors"
	"net"
	"syscall"
	"unsafe"
)

// rawSupported: this platform has peekPong and writevNonblock.
const rawSupported = true

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
	return true, err == nil && n == emptyPongLen && isEmptyPong(b[:])
}

// discardPong consumes the pong peekPong found.
func discardPong(fd uintptr) bool {
	var b [emptyPongLen]byte
	n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_DONTWAIT)
	return err == nil && n == emptyPongLen
}

// maxIovec bounds one writev; what does not fit is left for the writer.
const maxIovec = 1024

// writevNonblock writes bufs to the non-blocking socket with one writev
// and returns how many bytes it took: 0 when the socket is full.
func writevNonblock(fd uintptr, bufs net.Buffers) (int, error) {
	var small [8]syscall.Iovec
	iov := small[:0]
	if len(bufs) > len(small) {
		iov = make([]syscall.Iovec, 0, min(len(bufs), maxIovec))
	}
	for _, b := range bufs {
		if len(iov) == maxIovec {
			break
		}
		if len(b) == 0 {
			continue
		}
		v := syscall.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		iov = append(iov, v)
	}
	if len(iov) == 0 {
		return 0, nil
	}
	for {
		n, _, errno := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
		switch errno {
		case 0:
			return int(n), nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, nil
		}
		return 0, errno
	}
}
