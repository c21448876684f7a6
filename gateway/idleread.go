package gateway

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"syscall"
)

// readBufferSize is each connection's read buffer. Small, because idle
// connections dominate; a large message is read through it in pieces.
// It must exceed 256 bytes, or gorilla allocates its own 4 KiB buffer
// instead of adopting ours (see ownReader).
const readBufferSize = 512

// ownReader is a ResponseWriter whose Hijack hands gorilla a read buffer
// the gateway keeps a handle on: with the Upgrader's ReadBufferSize at 0,
// gorilla adopts the hijacked reader as its own. Knowing how much it has
// buffered lets the reader wait for the socket in a shallow call
// (idleWaiter.wait) instead of deep inside gorilla's frame parser, so an
// idle reader goroutine fits in the smallest stack.
type ownReader struct {
	http.ResponseWriter
	br *bufio.Reader // set by Hijack
}

// Hijack implements http.Hijacker.
func (o *ownReader) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := o.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("gateway: the connection cannot be hijacked")
	}
	nc, brw, err := h.Hijack()
	if err != nil || brw.Reader.Buffered() > 0 {
		// gorilla refuses a client that sent data before the handshake
		// completed; net/http's reader holds that data.
		return nc, brw, err
	}
	o.br = bufio.NewReaderSize(nc, readBufferSize)
	return nc, bufio.NewReadWriter(o.br, brw.Writer), nil
}

// idleWaiter is an idle client's raw access to its socket: waiting until
// there is something to read without reading it, and writing a control
// frame without a writer goroutine. Its zero value waits for nothing and
// writes nothing.
type idleWaiter struct {
	br  *bufio.Reader
	raw syscall.RawConn
}

func newIdleWaiter(br *bufio.Reader, nc net.Conn) idleWaiter {
	sc, ok := nc.(syscall.Conn)
	if br == nil || !ok {
		return idleWaiter{}
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return idleWaiter{}
	}
	return idleWaiter{br: br, raw: raw}
}

// wait returns once the buffer or the socket has data (or the peer closed
// it), or with the error of a closed connection. It consumes bare pongs
// itself, calling onPong for each: they are what wakes an idle client, and
// gorilla would handle one and then block inside its frame parser waiting
// for a data message. Only at a message boundary, which is where the read
// loop calls it, can a whole frame be taken from the socket behind
// gorilla's back.
func (w idleWaiter) wait(onPong func()) error {
	if w.raw == nil || w.br.Buffered() > 0 {
		return nil
	}
	return w.raw.Read(func(fd uintptr) bool {
		for {
			ready, pong := peekPong(fd)
			if !pong {
				return ready
			}
			if !discardPong(fd) {
				return true // let gorilla's read report the failure
			}
			onPong()
		}
	})
}

// writeNow writes as much of b as the socket takes without blocking and
// returns how much that was (0 without a raw connection). The caller must
// make sure no writer runs.
func (w idleWaiter) writeNow(b []byte) int {
	if w.raw == nil {
		return 0
	}
	n := 0
	err := w.raw.Write(func(fd uintptr) bool {
		n = writeNonblock(fd, b)
		return true // never wait: the caller queues what is left
	})
	if err != nil {
		return 0
	}
	return n
}
