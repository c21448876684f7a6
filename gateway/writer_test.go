package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
)

// TestInflightFramesCountAgainstSendQueue: the frames the writer took and is
// blocked writing still count toward --send-queue, so a client that never
// reads reaches its 1013 after its socket's buffers and one queue, not two.
func TestInflightFramesCountAgainstSendQueue(t *testing.T) {
	limits := clientLimits{sendQueue: 4, maxMessage: 1 << 20, pingInterval: time.Hour, writeTimeout: time.Minute, closeWait: time.Second}
	joined := make(chan *client, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := newUpgrader(DefaultHandshakeTimeout).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := newClient("c", conn, &limits, newMetrics(prometheus.NewRegistry()))
		joined <- c
	}))
	defer srv.Close()
	peer, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil) // never reads
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	c := <-joined
	defer func() {
		c.kill()
		<-c.wait(&c.done)
	}()
	// More than loopback's socket buffers hold: the writer takes it and
	// blocks writing it.
	if !c.enqueue(dataFrame(make([]byte, 64<<20), true)) {
		t.Fatal("first frame refused")
	}
	waitFor(t, "the writer to take the frame", func() error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.queue) != 0 || c.inflight != 1 {
			return fmt.Errorf("%d queued, %d in flight", len(c.queue), c.inflight)
		}
		return nil
	})
	for i := range 3 {
		if !c.enqueue(dataFrame([]byte("x"), false)) {
			t.Fatalf("frame %d refused with %d of 4 in use", i+2, i+1)
		}
	}
	if c.enqueue(dataFrame([]byte("x"), false)) {
		t.Error("a fifth frame was queued behind a blocked writer holding one and a queue of three; want the queue full at 4")
	}
}
