package clustertest_test

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/roomshard/roomshard/cluster/clustertest"
)

// Limits of the abuse cluster, small so the offenders reach them fast.
const (
	abuseMaxMessage = 64 << 10
	abuseRate       = 50
	abuseMaxRooms   = 1500
	abusePerIP      = 1000
	abuseRoom       = "/rooms/abuse/websocket" // broadcast class
)

// TestAbuse runs offenders against a real gateway and shard while
// well-behaved clients talk in the same room (SPEC §9): malformed and
// oversized frames, a client that never reads, a flood past the rate
// limit, and one client opening rooms by the thousand. Each offender gets
// its code; no process dies; the well-behaved see every message in order.
func TestAbuse(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test; skipped with -short")
	}
	c := clustertest.StartCluster(t, bins, clustertest.Options{Shards: 1, Gateways: 1,
		ShardArgs: []string{"--max-rooms", strconv.Itoa(abuseMaxRooms)},
		GatewayArgs: []string{"--max-message-size", strconv.Itoa(abuseMaxMessage), "--send-queue", "256",
			"--rate-limit", strconv.Itoa(abuseRate), "--rate-burst", strconv.Itoa(abuseRate),
			"--max-connections-per-ip", strconv.Itoa(abusePerIP)}})
	gw := c.Gateways[0]

	good := startGoodClients(t, gw.HTTP)
	sleeper := dial(t, gw.HTTP, abuseRoom) // never reads until the end
	var wg sync.WaitGroup
	run := func(name string, f func(t *testing.T)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(name, f)
		}()
	}
	run("malformed frames", func(t *testing.T) { malformedFrames(t, gw.HTTP, 2000) })
	run("rate flood", func(t *testing.T) { rateFlood(t, gw.HTTP) })
	run("many rooms", func(t *testing.T) {
		// From 127.0.0.1 past the per-IP limit (429), then from 127.0.0.2
		// past the shard's room limit (1013): 10,000 names in all.
		first := manyRooms(t, gw.HTTP, "127.0.0.1", 0, 5000)
		defer first.close()
		if first.echoed == 0 || first.refused == 0 || first.other != 0 {
			t.Errorf("from 127.0.0.1: want some echoed, some 429 and nothing else")
		}
		second := manyRooms(t, gw.HTTP, "127.0.0.2", 5000, 5000)
		defer second.close()
		if second.echoed == 0 || second.full == 0 || second.other != 0 || first.echoed+second.echoed > abuseMaxRooms {
			t.Errorf("from 127.0.0.2: want some echoed (%d in all at most), some 1013 and nothing else", abuseMaxRooms)
		}
	})
	good.talk(t, 100, 40*time.Millisecond, 32<<10)
	t.Run("never reads", func(t *testing.T) {
		// Its queue overflowed while it did not read; reading now, it finds
		// the 1013 behind the queued frames. A client that stays silent for
		// longer than the gateway's write timeout is cut off without it.
		code := drainToClose(sleeper)
		_, metrics := get(t, "http://"+gw.HTTP+"/metrics", nil)
		if code != websocket.CloseTryAgainLater && !(code == websocket.CloseAbnormalClosure && regexp.MustCompile(`(?m)^roomshard_gateway_send_queue_drops_total [1-9]`).MatchString(metrics)) {
			t.Errorf("client that never read closed with %d, want 1013", code)
		}
	})
	wg.Wait()
	good.check(t)
	for _, p := range append(c.Shards, c.Gateways...) {
		if p.Exited() {
			t.Errorf("%s exited:\n%s", p.Name, tail(p.Logs()))
		}
		if code, _ := get(t, "http://"+p.HTTP+"/healthz", nil); code != http.StatusOK {
			t.Errorf("%s /healthz = %d", p.Name, code)
		}
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}

// goodClients are senders and readers in the abuse room.
type goodClients struct {
	senders []*websocket.Conn
	names   []string
	readers []*websocket.Conn
	// got collects, per reader, the "to: all clients" messages in order.
	got  [][]string
	n    int // messages each sender sent
	done sync.WaitGroup
}

func startGoodClients(t *testing.T, httpAddr string) *goodClients {
	g := &goodClients{names: []string{"A", "B"}}
	for range g.names {
		g.senders = append(g.senders, dial(t, httpAddr, abuseRoom))
	}
	for range 2 {
		g.readers = append(g.readers, dial(t, httpAddr, abuseRoom))
	}
	g.got = make([][]string, len(g.readers))
	for i, r := range g.readers {
		g.done.Add(1)
		go func() {
			defer g.done.Done()
			ends := 0
			for {
				_ = r.SetReadDeadline(time.Now().Add(15 * time.Second))
				_, data, err := r.ReadMessage()
				if err != nil {
					return
				}
				msg, ok := allClientsMessage(string(data))
				if !ok {
					continue
				}
				// Each sender ends with END on its own socket: messages of
				// two sockets have no order between them, so one END says
				// nothing of the other sender's last message.
				if msg == "END" {
					if ends++; ends == len(g.senders) {
						return
					}
					continue
				}
				g.got[i] = append(g.got[i], msg)
			}
		}()
	}
	// Senders drain their own copies so they stay well-behaved readers.
	for _, s := range g.senders {
		go func() {
			for {
				if _, _, err := s.NextReader(); err != nil {
					return
				}
			}
		}()
	}
	return g
}

// allClientsMessage extracts the sequence tag of a broadcast class line
// sent "to: all clients" ("A-17" of "A-17 xxxx...").
func allClientsMessage(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, "[Durable Object] message: ")
	if !ok || !strings.Contains(line, ", to: all clients. Total connections: ") {
		return "", false
	}
	tag, _, _ := strings.Cut(rest, " ")
	tag, _, _ = strings.Cut(tag, ",")
	return tag, true
}

// talk sends n messages per sender, each padded to size bytes, at the
// given pace (well under the rate limit), then an END marker from each.
func (g *goodClients) talk(t *testing.T, n int, pace time.Duration, size int) {
	pad := strings.Repeat("x", size)
	for i := 1; i <= n; i++ {
		for j, s := range g.senders {
			msg := fmt.Sprintf("%s-%d %s", g.names[j], i, pad)
			if err := s.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
				t.Errorf("well-behaved sender %s: %v", g.names[j], err)
				return
			}
		}
		time.Sleep(pace)
	}
	g.n = n
	for _, s := range g.senders {
		if err := s.WriteMessage(websocket.TextMessage, []byte("END")); err != nil {
			t.Error(err)
		}
	}
}

// check verifies every reader saw each sender's messages 1..n in order.
func (g *goodClients) check(t *testing.T) {
	t.Helper()
	g.done.Wait()
	for i, got := range g.got {
		next := map[string]int{}
		for _, tag := range got {
			name, num, _ := strings.Cut(tag, "-")
			if name != "A" && name != "B" {
				continue // an offender's line
			}
			k, _ := strconv.Atoi(num)
			if k != next[name]+1 {
				t.Errorf("reader %d: %s after %s-%d (lost or reordered)", i, tag, name, next[name])
			}
			next[name] = k
		}
		for _, name := range g.names {
			if next[name] != g.n {
				t.Errorf("reader %d: last of %s is %d, want %d", i, name, next[name], g.n)
			}
		}
	}
}

// drainToClose reads until the connection ends and returns the close code
// (1006 when it ended without a close frame).
func drainToClose(c *websocket.Conn) int {
	for {
		_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		return websocket.CloseAbnormalClosure
	}
}

// badFrames are client frames the gateway must refuse, with the close code
// each gets.
var badFrames = []struct {
	name  string
	frame func() []byte
	code  int
}{
	{"unknown opcode", func() []byte { return masked(0x83, nil) }, websocket.CloseProtocolError},
	{"unmasked", func() []byte { return []byte{0x81, 0x02, 'h', 'i'} }, websocket.CloseProtocolError},
	{"reserved bits", func() []byte { return masked(0xC1, []byte("hi")) }, websocket.CloseProtocolError},
	{"long control", func() []byte { return masked(0x89, make([]byte, 200)) }, websocket.CloseProtocolError},
	{"oversized", func() []byte {
		h := []byte{0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}
		binary.BigEndian.PutUint64(h[2:10], 4*abuseMaxMessage)
		return h
	}, websocket.CloseMessageTooBig},
}

// masked encodes one client frame (header byte b0) with a mask.
func masked(b0 byte, payload []byte) []byte {
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	default:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	}
	key := []byte{1, 2, 3, 4}
	f = append(f, key...)
	for i, b := range payload {
		f = append(f, b^key[i%4])
	}
	return f
}

// malformedFrames sends n bad frames, each on its own raw connection to
// the abuse room, and checks each gets its close code.
func malformedFrames(t *testing.T, httpAddr string, n int) {
	var next atomic.Int64
	wrong := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				bad := badFrames[i%len(badFrames)]
				if got, err := sendRaw(httpAddr, abuseRoom, bad.frame()); err != nil || got != bad.code {
					mu.Lock()
					wrong[fmt.Sprintf("%s: got %d (%v)", bad.name, got, err)]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for what, k := range wrong {
		t.Errorf("%d× %s", k, what)
	}
}

// sendRaw opens a WebSocket by hand, writes frame and returns the code of
// the close frame the server answers with.
func sendRaw(httpAddr, path string, frame []byte) (int, error) {
	// Its own client address, so the per-IP limit the room flood reaches
	// on 127.0.0.1 does not apply.
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}}
	nc, err := d.Dial("tcp", httpAddr)
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		path, httpAddr, base64.StdEncoding.EncodeToString(key))
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return 0, fmt.Errorf("handshake: %s", resp.Status)
	}
	if _, err := nc.Write(frame); err != nil {
		return 0, err
	}
	for {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return 0, err
		}
		size := int(h[1] & 0x7f)
		switch size {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return 0, err
			}
			size = int(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return 0, err
			}
			size = int(binary.BigEndian.Uint64(b[:]))
		}
		body := make([]byte, size)
		if _, err := io.ReadFull(br, body); err != nil {
			return 0, err
		}
		if h[0]&0x0f == 0x8 {
			if len(body) < 2 {
				return websocket.CloseNoStatusReceived, nil
			}
			return int(binary.BigEndian.Uint16(body)), nil
		}
	}
}

// rateFlood sends far past the rate limit and expects 1008.
func rateFlood(t *testing.T, httpAddr string) {
	c := dial(t, httpAddr, abuseRoom)
	go func() {
		for i := range 10 * abuseRate {
			if c.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, "flood %d", i)) != nil {
				return
			}
		}
	}()
	if code := drainToClose(c); code != websocket.ClosePolicyViolation {
		t.Errorf("flooder closed with %d, want 1008", code)
	}
}

// roomsOutcome counts how the sockets of manyRooms ended.
type roomsOutcome struct {
	echoed, full, refused, other int64
	open                         []*websocket.Conn
}

func (o *roomsOutcome) close() {
	for _, c := range o.open {
		_ = c.Close()
	}
}

// manyRooms opens n distinct echo rooms (numbered from start) from client
// address ip: sockets past the per-IP limit get HTTP 429 before the
// upgrade, rooms past the shard's --max-rooms are closed with 1013, the
// rest echo and stay open.
func manyRooms(t *testing.T, httpAddr, ip string, start, n int) *roomsOutcome {
	var (
		next                         atomic.Int64
		echoed, refused, full, other atomic.Int64
		mu                           sync.Mutex
		out                          roomsOutcome
		wg                           sync.WaitGroup
	)
	nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	dialer := &websocket.Dialer{HandshakeTimeout: 10 * time.Second, NetDialContext: nd.DialContext}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				c, resp, err := dialer.Dial(fmt.Sprintf("ws://%s/ns/echo/rooms/many-%d/websocket", httpAddr, int64(start)+i), nil)
				if err != nil {
					if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
						refused.Add(1)
					} else {
						other.Add(1)
					}
					continue
				}
				_ = c.WriteMessage(websocket.TextMessage, []byte("hi"))
				_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
				_, data, err := c.ReadMessage()
				var ce *websocket.CloseError
				switch {
				case err == nil && string(data) == "[Durable Object]: hi":
					echoed.Add(1)
					mu.Lock()
					out.open = append(out.open, c)
					mu.Unlock()
					continue
				case errors.As(err, &ce) && ce.Code == websocket.CloseTryAgainLater:
					full.Add(1)
				default:
					other.Add(1)
				}
				_ = c.Close()
			}
		}()
	}
	wg.Wait()
	out.echoed, out.full, out.refused, out.other = echoed.Load(), full.Load(), refused.Load(), other.Load()
	t.Logf("%d rooms from %s: %d echoed, %d closed 1013 (shard full), %d refused 429 (per-IP limit), %d other",
		n, ip, out.echoed, out.full, out.refused, out.other)
	return &out
}
