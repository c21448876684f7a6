package clustertest_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/roomshard/roomshard/cluster/clustertest"
)

// workload is what a load's clients send and how they read the replies.
type workload struct {
	namespace string
	request   func(seq int64) string
	// value reads an acknowledged value from a reply.
	value func(reply string) (int64, bool)
}

// counterWorkload increments counter rooms: each reply is the new value,
// sent only once it is durable (SPEC §4).
var counterWorkload = workload{
	namespace: "counter",
	request:   func(int64) string { return "incr" },
	value: func(reply string) (int64, bool) {
		v, err := strconv.ParseInt(reply, 10, 64)
		return v, err == nil
	},
}

// loadOptions shape a load.
type loadOptions struct {
	rooms, clients int
	// pace is each client's pause after a reply, bounding the load on a
	// small CI machine.
	pace time.Duration
	// replyTimeout is how long a client waits before it counts its request
	// as lost in flight (a shard died with it) and sends the next one.
	replyTimeout time.Duration
}

// load runs clients that each send a request, wait for its reply, pause and
// repeat, spread round-robin over rooms and gateways. It records every
// acknowledgement and every client disconnect.
type load struct {
	w      workload
	rooms  []string
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// protects everything below
	mu          sync.Mutex
	acks        map[string][]ackRecord // by room
	sent        map[string]int         // requests sent, by room
	timeouts    map[string]int         // requests that got no reply in time, by room
	disconnects []string
}

type ackRecord struct {
	value int64
	at    time.Time
}

func startLoad(t *testing.T, w workload, gateways []*clustertest.Proc, opts loadOptions) *load {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{w: w, cancel: cancel, acks: map[string][]ackRecord{}, sent: map[string]int{}, timeouts: map[string]int{}}
	for i := range opts.rooms {
		l.rooms = append(l.rooms, fmt.Sprintf("load-%d", i))
	}
	conns := make([]*websocket.Conn, opts.clients)
	for i := range conns {
		g := gateways[i%len(gateways)]
		room := l.rooms[i%len(l.rooms)]
		conns[i] = dial(t, g.HTTP, "/ns/"+w.namespace+"/rooms/"+room+"/websocket")
	}
	for i, c := range conns {
		room := l.rooms[i%len(l.rooms)]
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.client(ctx, c, room, fmt.Sprintf("client %d (room %s)", i, room), opts)
		}()
	}
	t.Cleanup(l.stop)
	return l
}

// client is one client's loop. It sends a request every pace without
// waiting for replies (up to maxOutstanding unanswered), so that requests
// lost in flight to a dying shard do not stall it: what it sends after a
// failure waits at the gateway and shows when the room is served again.
// A reader goroutine records the replies. A client that has heard nothing
// for replyTimeout counts its unanswered requests as lost.
func (l *load) client(ctx context.Context, c *websocket.Conn, room, who string, opts loadOptions) {
	var outstanding atomic.Int64
	var lastReply atomic.Int64 // unix ns
	lastReply.Store(time.Now().UnixNano())
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				if ctx.Err() == nil {
					l.disconnected(fmt.Sprintf("%s: %v", who, err))
				}
				return
			}
			outstanding.Add(-1)
			lastReply.Store(time.Now().UnixNano())
			l.ack(room, string(data), who)
		}
	}()
	defer func() {
		_ = c.Close()
		<-readerDone
	}()
	tick := time.NewTicker(opts.pace)
	defer tick.Stop()
	for seq := int64(1); ; seq++ {
		select {
		case <-ctx.Done():
			return
		case <-readerDone:
			return
		case <-tick.C:
		}
		if n := outstanding.Load(); n > 0 && time.Since(time.Unix(0, lastReply.Load())) > opts.replyTimeout {
			l.add(room, l.timeouts, int(n))
			outstanding.Store(0)
			lastReply.Store(time.Now().UnixNano())
		}
		if outstanding.Load() >= maxOutstanding {
			continue
		}
		if err := c.WriteMessage(websocket.TextMessage, []byte(l.w.request(seq))); err != nil {
			if ctx.Err() == nil {
				l.disconnected(fmt.Sprintf("%s: writing: %v", who, err))
			}
			return
		}
		outstanding.Add(1)
		l.add(room, l.sent, 1)
	}
}

// maxOutstanding bounds a client's unanswered requests, so a slow cluster
// is not buried.
const maxOutstanding = 20

func (l *load) add(room string, m map[string]int, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m[room] += n
}

func (l *load) ack(room, reply, who string) {
	v, ok := l.w.value(reply)
	l.mu.Lock()
	defer l.mu.Unlock()
	if !ok {
		l.disconnects = append(l.disconnects, fmt.Sprintf("%s: unexpected reply %q", who, reply))
		return
	}
	l.acks[room] = append(l.acks[room], ackRecord{value: v, at: time.Now()})
}

func (l *load) disconnected(what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.disconnects = append(l.disconnects, what)
}

// stop ends every client and waits for them. Idempotent.
func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

// totalAcks is how many requests were acknowledged so far.
func (l *load) totalAcks() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, a := range l.acks {
		n += len(a)
	}
	return n
}

// problems lists disconnects and unexpected replies.
func (l *load) problems() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.disconnects)
}

// waitAcks waits until n more acknowledgements arrived in every room.
func (l *load) waitAcks(t *testing.T, n int, total time.Duration) {
	t.Helper()
	l.mu.Lock()
	base := map[string]int{}
	for _, r := range l.rooms {
		base[r] = len(l.acks[r])
	}
	l.mu.Unlock()
	clustertest.Eventually(t, total, 50*time.Millisecond, func() error {
		l.mu.Lock()
		defer l.mu.Unlock()
		var slow []string
		for _, r := range l.rooms {
			if len(l.acks[r])-base[r] < n {
				slow = append(slow, r)
			}
		}
		if len(slow) > 0 {
			return fmt.Errorf("%d rooms without %d new acks: %s", len(slow), n, strings.Join(slow[:min(len(slow), 5)], ","))
		}
		return nil
	})
}

// servedAgain returns, for each room in rooms, when after at the room
// answered again: the end of the longest pause between two of its
// acknowledgements, among those later than at-servedLookback (rooms
// without an acknowledgement after at are left out). Measuring the pause,
// not the first reply after at, keeps replies the failed shard had sent
// before it died, still on their way through a loaded gateway, from
// counting as the new owner's.
func (l *load) servedAgain(rooms []string, at time.Time) []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []time.Duration
	for _, r := range rooms {
		prev := at.Add(-servedLookback)
		var gap, end time.Duration
		for _, a := range l.acks[r] {
			if a.at.Before(prev) {
				continue
			}
			if d := a.at.Sub(prev); d > gap {
				gap, end = d, a.at.Sub(at)
			}
			prev = a.at
		}
		if end > 0 {
			out = append(out, end)
		}
	}
	slices.Sort(out)
	return out
}

// servedLookback: see servedAgain.
const servedLookback = 500 * time.Millisecond

// percentile returns the p-th percentile (0..100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

// checkCounters checks the counter invariants after stop: in each room
// every acknowledged value is distinct, the final value (read back with
// get) is at least the highest and at least the number of acks, and at
// most every request sent (each unacknowledged one committed at most once).
func (l *load) checkCounters(t *testing.T, final map[string]int64) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.rooms {
		seen := map[int64]bool{}
		var maxAck int64
		for _, a := range l.acks[r] {
			if seen[a.value] {
				t.Errorf("room %s: value %d acknowledged twice", r, a.value)
			}
			seen[a.value] = true
			maxAck = max(maxAck, a.value)
		}
		f, ok := final[r]
		if !ok {
			t.Errorf("room %s: no final value", r)
			continue
		}
		if f < maxAck || f < int64(len(l.acks[r])) {
			t.Errorf("room %s: final %d < max acked %d or acks %d: an acknowledged increment was lost", r, f, maxAck, len(l.acks[r]))
		}
		if f > int64(l.sent[r]) {
			t.Errorf("room %s: final %d > %d increments sent", r, f, l.sent[r])
		}
	}
}
