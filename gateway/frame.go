package gateway

import (
	"encoding/binary"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// frame is one complete server-to-client WebSocket frame on the wire. Server
// frames are never masked and we negotiate no compression, so the bytes are
// the same for every client: a Deliver to many sockets encodes once and
// every writer writes the same read-only slice (what websocket.PreparedMessage
// does, but in a form a writer can hand to writev together with the other
// queued frames, so a burst costs one syscall instead of one per frame).
type frame []byte

// Opcodes (RFC 6455 §5.2).
const (
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xA
	finBit   = 0x80
)

// encodeFrame returns the single, final frame carrying payload.
func encodeFrame(op byte, payload []byte) frame {
	n := len(payload)
	var f []byte
	switch {
	case n <= 125:
		f = make([]byte, 2, 2+n)
		f[1] = byte(n)
	case n <= 0xFFFF:
		f = make([]byte, 4, 4+n)
		f[1] = 126
		binary.BigEndian.PutUint16(f[2:], uint16(n))
	default:
		f = make([]byte, 10, 10+n)
		f[1] = 127
		binary.BigEndian.PutUint64(f[2:], uint64(n))
	}
	f[0] = finBit | op
	return append(f, payload...)
}

// dataFrame encodes a text or binary message.
func dataFrame(data []byte, binary bool) frame {
	if binary {
		return encodeFrame(opBinary, data)
	}
	return encodeFrame(opText, data)
}

// closeFrame encodes a close frame. Code 1005 (no status) gives an empty
// payload; codes that may not be sent are replaced (see sendableCode);
// the reason is cut to fit a control frame.
func closeFrame(code int, reason string) frame {
	if code == websocket.CloseNoStatusReceived {
		return encodeFrame(opClose, nil)
	}
	return encodeFrame(opClose, websocket.FormatCloseMessage(sendableCode(code), truncateReason(reason)))
}

// sendableCode maps a code a room or client supplied to one that may appear
// in a close frame (RFC 6455 §7.4): 1004-1006 and 1015 are reserved, codes
// below 1000 or in 1016..2999 are undefined, and 5000+ are invalid. An
// unsendable code from a room is its own error, so it becomes 1011.
func sendableCode(code int) int {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014, code >= 3000 && code <= 4999:
		return code
	}
	return websocket.CloseInternalServerErr
}

// maxCloseReason is what fits in a control frame after the 2-byte code.
const maxCloseReason = 123

// truncateReason makes reason valid UTF-8 (a close reason must be) and cuts
// it to maxCloseReason bytes on a rune boundary.
func truncateReason(reason string) string {
	reason = strings.ToValidUTF8(reason, "")
	if len(reason) <= maxCloseReason {
		return reason
	}
	cut := maxCloseReason
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut]
}
