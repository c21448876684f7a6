package gateway

import (
	"encoding/binary"
	"net/http/httptest"
	"testing"
	"unicode/utf8"
)

// FuzzCloseFrame: whatever code and reason a room or client supplies, the
// close frame we write is a valid control frame (RFC 6455 §5.5, §7.4).
func FuzzCloseFrame(f *testing.F) {
	f.Add(1000, "Durable Object is closing WebSocket")
	f.Add(1005, "")
	f.Add(0, "\xff\xfe")
	f.Add(4999, string(make([]byte, 300)))
	f.Fuzz(func(t *testing.T, code int, reason string) {
		fr := closeFrame(code, reason)
		if fr[0] != finBit|opClose || int(fr[1]) != len(fr)-2 || len(fr)-2 > 125 {
			t.Fatalf("bad header %x for %d bytes", fr[:2], len(fr))
		}
		if len(fr) == 2 {
			return
		}
		got := int(binary.BigEndian.Uint16(fr[2:4]))
		if sendableCode(got) != got || !utf8.Valid(fr[4:]) {
			t.Fatalf("code %d reason %q", got, fr[4:])
		}
	})
}

// FuzzOriginAllowed: any Origin and Host, no panic.
func FuzzOriginAllowed(f *testing.F) {
	f.Add("http://a.example", "a.example", "")
	f.Add("::", "h", "*")
	f.Add("http://[::1]:80", "[::1]:80", "http://[::1]:80")
	f.Fuzz(func(t *testing.T, origin, host, allowed string) {
		r := httptest.NewRequest("GET", "/websocket", nil)
		r.Host = host
		r.Header.Set("Origin", origin)
		var list []string
		if allowed != "" {
			list = []string{allowed}
		}
		_ = originAllowed(list, r)
	})
}
