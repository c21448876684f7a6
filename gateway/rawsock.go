package gateway

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"
)

// readBufferSize is each connection's read buffer. Small, because idle
// connections dominate; a message larger than the buffer is read straight
// into gorilla's message buffer, so this costs at most one extra read.
// It must exceed 256 bytes, or gorilla allocates its own 4 KiB buffer
// instead of adopting ours (see ownReader).
const readBufferSize = 288

// ownReader is a ResponseWriter whose Hijack hands gorilla a read buffer
// the gateway keeps a handle on: with the Upgrader's ReadBufferSize at 0,
// gorilla adopts the hijacked reader as its own. Knowing how much it has
// buffered lets the reader wait for the socket in a shallow call
// (rawSocket.wait) instead of deep inside gorilla's frame parser, so an
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

// rawSocket is a client's raw access to its socket, below gorilla and
// net.Conn: waiting until there is something to read without reading it
// (so the idle reader parks in a shallow call), and writing without
// blocking (so a frame to a client whose socket is free goes out on the
// caller's goroutine, with no writer goroutine and no hand-off). Its zero
// value waits for nothing and writes nothing; the client then falls back
// to gorilla's reads and its writer goroutine for everything.
type rawSocket struct {
	br  *bufio.Reader
	raw syscall.RawConn
}

func newRawSocket(br *bufio.Reader, nc net.Conn) rawSocket {
	sc, ok := nc.(syscall.Conn)
	if br == nil || !ok || !rawSupported {
		return rawSocket{}
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return rawSocket{}
	}
	return rawSocket{br: br, raw: raw}
}

// canWrite reports whether writeNow can write at all.
func (s rawSocket) canWrite() bool { return s.raw != nil }

// emptyPongLen is the size of a client's pong to our empty ping: two
// header bytes (FIN and opcode; MASK and a zero length) and the mask key.
const emptyPongLen = 6

// isEmptyPong reports whether b starts with such a pong.
func isEmptyPong(b []byte) bool {
	return len(b) >= emptyPongLen && b[0] == finBit|opPong && b[1] == 0x80
}

// errIdle is wait's answer when nothing arrived within its linger.
var errIdle = errors.New("gateway: client idle")

// wait returns once the buffer or the socket has data (or the peer closed
// it), or with the error of a closed connection. It waits up to linger,
// then returns errIdle; linger 0 only looks, and a negative linger waits
// as long as it takes. It consumes bare pongs itself, touching c for
// each: they are what wakes an idle client, and gorilla would handle one
// and then block inside its frame parser waiting for a data message. Only
// at a message boundary, which is where the read loop calls it, can a
// whole frame be taken from the socket behind gorilla's back.
func (s rawSocket) wait(ops *sync.Pool, c *client, linger time.Duration) error {
	if s.raw == nil {
		return nil
	}
	// Pongs that came in one segment with a message sit in the buffer.
	for s.br.Buffered() >= emptyPongLen {
		if b, _ := s.br.Peek(emptyPongLen); !isEmptyPong(b) {
			return nil
		}
		_, _ = s.br.Discard(emptyPongLen)
		c.touch()
	}
	if s.br.Buffered() > 0 {
		return nil
	}
	op := getRawOp(ops, c)
	defer op.put(ops)
	if linger == 0 {
		if err := s.raw.Control(op.peek); err != nil {
			return err
		}
		if !op.ready {
			return errIdle
		}
		return nil
	}
	if linger > 0 {
		// Cleared before gorilla reads: a deadline that passes inside
		// gorilla breaks the connection for good.
		_ = c.nc.SetReadDeadline(time.Now().Add(linger))
		defer func() { _ = c.nc.SetReadDeadline(time.Time{}) }()
	}
	err := s.raw.Read(op.look)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errIdle
	}
	return err
}

// writeNow writes as much of bufs as the socket takes without blocking
// and returns how many bytes that was. The caller must hold the client's
// write side (client.writing). An error means the connection is broken.
func (s rawSocket) writeNow(ops *sync.Pool, bufs net.Buffers) (int, error) {
	op := getRawOp(ops, nil)
	defer op.put(ops)
	op.bufs = bufs
	err := s.raw.Write(op.write)
	if err == nil {
		err = op.err
	}
	return op.n, err
}

// rawOp is the state of one raw socket call. The callbacks RawConn takes
// escape to the heap, so they are made once per rawOp and the rawOps are
// pooled: a message read or an in-place write allocates nothing.
type rawOp struct {
	c     *client
	bufs  net.Buffers
	n     int
	err   error
	ready bool
	look  func(fd uintptr) bool // for RawConn.Read: ready to read?
	peek  func(fd uintptr)      // for RawConn.Control: look once
	write func(fd uintptr) bool // for RawConn.Write: one writev, never wait
}

func getRawOp(ops *sync.Pool, c *client) *rawOp {
	op, _ := ops.Get().(*rawOp)
	if op == nil {
		op = &rawOp{}
		op.look = op.lookAt
		op.peek = func(fd uintptr) { op.ready = op.lookAt(fd) }
		op.write = func(fd uintptr) bool {
			op.n, op.err = writevNonblock(fd, op.bufs)
			return true // the caller hands what is left to the writer
		}
	}
	op.c = c
	return op
}

func (op *rawOp) put(ops *sync.Pool) {
	op.c, op.bufs, op.n, op.err, op.ready = nil, nil, 0, nil, false
	ops.Put(op)
}

// lookAt reports whether the socket has data (or an end) for gorilla,
// taking the empty pongs in front of it off the socket.
func (op *rawOp) lookAt(fd uintptr) bool {
	for {
		ready, pong := peekPong(fd)
		if !pong {
			return ready
		}
		if !discardPong(fd) {
			return true // let gorilla's read report the failure
		}
		op.c.touch()
	}
}
