package gateway

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// TestFramesReadByGorilla checks our wire frames against an independent
// reader: every length class, both data types, and a close frame with a
// long multi-byte reason.
func TestFramesReadByGorilla(t *testing.T) {
	payloads := [][]byte{nil, []byte("hi"), bytes.Repeat([]byte("a"), 125), bytes.Repeat([]byte("b"), 126),
		bytes.Repeat([]byte("c"), 65535), bytes.Repeat([]byte("d"), 65536)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := newUpgrader(DefaultHandshakeTimeout).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for i, p := range payloads {
			_, _ = conn.NetConn().Write(dataFrame(p, i%2 == 1))
		}
		_, _ = conn.NetConn().Write(closeFrame(4001, strings.Repeat("é", 100)))
		_, _, _ = conn.ReadMessage() // until the client hangs up
	}))
	defer srv.Close()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i, want := range payloads {
		mt, got, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if wantType := []int{websocket.TextMessage, websocket.BinaryMessage}[i%2]; mt != wantType || !bytes.Equal(got, want) {
			t.Errorf("frame %d: type %d, %d bytes; want type %d, %d bytes", i, mt, len(got), wantType, len(want))
		}
	}
	_, _, err = conn.ReadMessage()
	ce, ok := err.(*websocket.CloseError)
	if !ok || ce.Code != 4001 || len(ce.Text) > maxCloseReason || !utf8.ValidString(ce.Text) {
		t.Errorf("close: %v", err)
	}
}

func TestSendableCode(t *testing.T) {
	for code, want := range map[int]int{1000: 1000, 1005: 1011, 1006: 1011, 1013: 1013, 999: 1011, 3000: 3000, 4999: 4999, 5000: 1011} {
		if got := sendableCode(code); got != want {
			t.Errorf("sendableCode(%d) = %d, want %d", code, got, want)
		}
	}
	if f := closeFrame(websocket.CloseNoStatusReceived, "x"); len(f) != 2 {
		t.Errorf("1005 close frame has a payload: %x", f)
	}
}
