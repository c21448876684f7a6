package direct

import "encoding/binary"

// WebSocket opcodes (RFC 6455 §5.2).
const (
	opText  = 0x1
	opClose = 0x8
	opPong  = 0xA
)

// frame returns a complete unmasked server frame (FIN set) carrying payload.
// The result is never mutated afterwards, so it may be shared by many
// connections' queues.
func frame(op byte, payload []byte) []byte {
	n := len(payload)
	var b []byte
	switch {
	case n < 126:
		b = make([]byte, 2, 2+n)
		b[1] = byte(n)
	case n <= 0xFFFF:
		b = make([]byte, 4, 4+n)
		b[1] = 126
		binary.BigEndian.PutUint16(b[2:], uint16(n))
	default:
		b = make([]byte, 10, 10+n)
		b[1] = 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
	}
	b[0] = 0x80 | op
	return append(b, payload...)
}

// closeFrame returns a close frame with a status code and reason (the
// reason is cut to fit the 125-byte control frame limit).
func closeFrame(code int, reason string) []byte {
	p := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(reason)), uint16(code))
	p = append(p, reason...)
	return frame(opClose, p[:min(len(p), 125)])
}
