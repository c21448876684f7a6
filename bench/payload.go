package bench

import (
	"bytes"
	"fmt"
	"strconv"
)

// payloadMagic starts every harness payload so it can be found inside the
// texts a server wraps around it.
const payloadMagic = "rsb1."

// minPayloadSize is the longest encoding without padding: magic, three
// numbers at their widest and the separators.
const minPayloadSize = len(payloadMagic) + 10 + 1 + 20 + 1 + 19 + 1

// Payload is what the harness writes into each message: enough to attribute
// a received frame to a sender (or scenario phase) and to measure its
// end-to-end latency.
type Payload struct {
	// Tag identifies the sender or phase; each scenario defines it.
	Tag uint32
	// Seq is the sender's sequence number.
	Seq uint64
	// Sent is the send time in Unix nanoseconds.
	Sent int64
}

// AppendPayload appends the text form of p to dst, padded with 'x' up to size
// bytes in total (no padding when size is smaller than the encoding). The
// text is ASCII and contains no comma, so servers can embed it verbatim.
func AppendPayload(dst []byte, p Payload, size int) []byte {
	start := len(dst)
	dst = append(dst, payloadMagic...)
	dst = strconv.AppendUint(dst, uint64(p.Tag), 10)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, p.Seq, 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, p.Sent, 10)
	dst = append(dst, '.')
	for len(dst)-start < size {
		dst = append(dst, 'x')
	}
	return dst
}

// FindPayload locates a payload anywhere in b and parses it.
func FindPayload(b []byte) (Payload, error) {
	i := bytes.Index(b, []byte(payloadMagic))
	if i < 0 {
		return Payload{}, fmt.Errorf("%w: no %q marker", ErrBadPayload, payloadMagic)
	}
	p, _, err := ParsePayload(b[i:])
	return p, err
}

// ParsePayload parses a payload at the start of b and returns the number of
// bytes it spans, padding included.
func ParsePayload(b []byte) (Payload, int, error) {
	if !bytes.HasPrefix(b, []byte(payloadMagic)) {
		return Payload{}, 0, fmt.Errorf("%w: missing marker", ErrBadPayload)
	}
	rest := b[len(payloadMagic):]
	tag, rest, err := parseField(rest, 10)
	if err != nil || tag > 1<<32-1 {
		return Payload{}, 0, fmt.Errorf("%w: tag", ErrBadPayload)
	}
	seq, rest, err := parseField(rest, 20)
	if err != nil {
		return Payload{}, 0, fmt.Errorf("%w: seq", ErrBadPayload)
	}
	sent, rest, err := parseField(rest, 19)
	if err != nil || sent > 1<<63-1 {
		return Payload{}, 0, fmt.Errorf("%w: timestamp", ErrBadPayload)
	}
	for len(rest) > 0 && rest[0] == 'x' {
		rest = rest[1:]
	}
	p := Payload{Tag: uint32(tag), Seq: seq, Sent: int64(sent)}
	return p, len(b) - len(rest), nil
}

// parseField parses decimal digits terminated by '.', without allocating.
func parseField(b []byte, maxDigits int) (uint64, []byte, error) {
	var v uint64
	i := 0
	for ; i < len(b) && b[i] != '.'; i++ {
		c := b[i]
		if c < '0' || c > '9' || i >= maxDigits {
			return 0, nil, ErrBadPayload
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, nil, ErrBadPayload
		}
		v = v*10 + d
	}
	if i == 0 || i == len(b) {
		return 0, nil, ErrBadPayload
	}
	return v, b[i+1:], nil
}
