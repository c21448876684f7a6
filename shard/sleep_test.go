package shard_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/ring"
	"github.com/roomshard/roomshard/cluster/roomid"
	"github.com/roomshard/roomshard/shard"
	st "github.com/roomshard/roomshard/shard/shardtest"
	"github.com/roomshard/roomshard/shard/storage/memory"
)

// roomRunGoroutines counts the goroutines running some room: those with
// the room's run loop on their stack.
func roomRunGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "shard.(*room).run(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// waitAsleep waits until room id has no goroutine (by the room's own
// flag and by the goroutines' stacks: no room runs at all) and reports
// whether it is hibernated.
func waitAsleep(t *testing.T, h *shard.Host, id string) (hibernated bool) {
	t.Helper()
	st.Eventually(t, func() error {
		running, held := shard.RoomRunning(h, id)
		if !held {
			return errors.New("room not held")
		}
		if running {
			return errors.New("room still running")
		}
		if n := roomRunGoroutines(); n > 0 {
			return fmt.Errorf("%d goroutines run rooms", n)
		}
		return nil
	})
	for _, ri := range h.Rooms(context.Background()) {
		if ri.GetId() == id {
			return ri.GetHibernated()
		}
	}
	t.Fatalf("room %s not listed", id)
	return false
}

// sleepRig is the script class (storage_fixtures_test.go) on a host with a
// short hibernation time; hibernatable says whether the class hibernates.
func sleepRig(t *testing.T, hibernatable bool) (*rig, string) {
	t.Helper()
	sc := &script{}
	class := sc.class()
	class.Hibernatable = hibernatable
	h := st.NewHost(t, shard.HostConfig{HibernateAfter: 20 * time.Millisecond, Storage: memory.New()}, class)
	c, g := st.Open(t, h, "script", "r", "g1")
	st.Connect(t, c, g, "a")
	return &rig{h: h, sc: sc, c: c, g: g}, roomid.FromName("script", "r")
}

func noop(context.Context, *shard.State) error { return nil }

// TestHibernatedRoomHasNoGoroutine: once hibernated, a room keeps its
// sockets but no goroutine; a frame wakes it (rebuilding the object) and
// it goes back to sleep.
func TestHibernatedRoomHasNoGoroutine(t *testing.T) {
	rg, id := sleepRig(t, true)
	rg.ok(t, noop)
	st.Eventually(t, func() error {
		if !waitAsleep(t, rg.h, id) {
			return errors.New("not hibernated yet")
		}
		return nil
	})
	if n := rg.sc.builds.Load(); n != 1 {
		t.Fatalf("%d builds before waking, want 1", n)
	}
	rg.ok(t, noop) // the frame wakes the room
	if n := rg.sc.builds.Load(); n != 2 {
		t.Fatalf("%d builds after waking, want 2 (rebuilt after hibernation)", n)
	}
	waitAsleep(t, rg.h, id)
	if got := rg.h.RoomCount(); got != 1 {
		t.Fatalf("host holds %d rooms, want 1", got)
	}
}

// TestIdleRoomKeepsItsObject: a room of a class that does not hibernate
// lets its goroutine go too when it has nothing to do, but keeps its
// object: the next event finds it as it was.
func TestIdleRoomKeepsItsObject(t *testing.T) {
	rg, id := sleepRig(t, false)
	rg.ok(t, noop)
	time.Sleep(50 * time.Millisecond) // past HibernateAfter: it must not apply
	if waitAsleep(t, rg.h, id) {
		t.Fatal("a room of a class that does not hibernate reports hibernated")
	}
	rg.ok(t, noop)
	if n := rg.sc.builds.Load(); n != 1 {
		t.Fatalf("%d builds, want 1", n)
	}
}

// TestSleepingRoomWakesForAlarm: the alarm timer of a room without a
// goroutine wakes it and runs the alarm.
func TestSleepingRoomWakesForAlarm(t *testing.T) {
	rg, id := sleepRig(t, true)
	fired := make(chan time.Time, 1)
	rg.sc.onAlarm(func(context.Context, *shard.State) error {
		fired <- time.Now()
		return nil
	})
	at := time.Now().Add(500 * time.Millisecond)
	rg.ok(t, setAlarm(at))
	st.Eventually(t, func() error {
		if !waitAsleep(t, rg.h, id) {
			return errors.New("not hibernated yet")
		}
		return nil
	})
	if time.Now().After(at) {
		t.Skip("the machine is too slow: the room did not fall asleep before its alarm")
	}
	if got := waitFired(t, fired); got.Before(storageAlarm(at)) {
		t.Fatalf("alarm ran at %v, before its time %v", got, at)
	}
	waitAsleep(t, rg.h, id)
}

// storageAlarm is an alarm time as storage keeps it (milliseconds).
func storageAlarm(at time.Time) time.Time { return at.Truncate(time.Millisecond) }

// TestSleepingRoomWakesForDrain: a drain stops rooms without a goroutine
// too: their streams get RoomMoving and the host reports drained.
func TestSleepingRoomWakesForDrain(t *testing.T) {
	rg, id := sleepRig(t, true)
	rg.ok(t, noop)
	waitAsleep(t, rg.h, id)
	if _, err := rg.h.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f := rg.g.WaitFrames(t, 1); f[0].GetMoving() == nil {
		t.Fatalf("got %s, want RoomMoving", st.Dump(f))
	}
	select {
	case <-rg.h.Drained():
	case <-time.After(5 * time.Second):
		t.Fatal("Drained not closed")
	}
	if closed, err := rg.g.Closed(); !closed || err != nil {
		t.Fatalf("stream closed %v, err %v; want closed normally", closed, err)
	}
}

// TestCloseStopsSleepingRooms: Close hands off rooms that have no
// goroutine, and waits for the goroutines it starts to do so.
func TestCloseStopsSleepingRooms(t *testing.T) {
	ns, err := shard.Bind([]shard.Class{(&script{}).class()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rg := ring.New([]ring.Node{{Name: "s1", Addr: "127.0.0.1:7100"}}, 0)
	h, err := shard.NewHost(shard.HostConfig{Node: "s1", Namespaces: ns, Ring: func() *ring.Ring { return rg }})
	if err != nil {
		t.Fatal(err)
	}
	var gws []*st.Gateway
	for i := range 20 {
		c, g := st.Open(t, h, "script", fmt.Sprintf("r%d", i), "g1")
		st.Connect(t, c, g, "a")
		gws = append(gws, g)
	}
	waitAsleep(t, h, roomid.FromName("script", "r0"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, g := range gws {
		if f := g.Take(); len(f) != 1 || f[0].GetMoving() == nil {
			t.Fatalf("%s got %s, want RoomMoving", g.Name(), st.Dump(f))
		}
		if closed, _ := g.Closed(); !closed {
			t.Fatalf("%s not closed", g.Name())
		}
	}
	if n := roomRunGoroutines(); n > 0 {
		t.Fatalf("%d goroutines still run rooms after Close", n)
	}
}

// gate is a room class whose message handler waits until the test lets
// it go, so tests can fill a room's queue; it replies with the message.
type gate struct {
	entered chan string
	release chan struct{}
}

func (g *gate) class() shard.Class {
	return shard.Class{Name: "gate", New: func(*shard.State) shard.Room { return &gateRoom{g: g} }}
}

type gateRoom struct {
	shard.BaseRoom
	g *gate
}

func (r *gateRoom) Message(_ context.Context, ws *shard.WebSocket, msg shard.Message) error {
	r.g.entered <- string(msg.Data)
	<-r.g.release
	return ws.SendText(string(msg.Data))
}

// TestTryHandle: TryHandle queues up to InboxSize batches and then
// reports a full queue without waiting and without queuing; Handle waits
// (bounded by its context); Detach never waits. Everything queued runs in
// order.
func TestTryHandle(t *testing.T) {
	gt := &gate{entered: make(chan string, 16), release: make(chan struct{})}
	h := st.NewHost(t, shard.HostConfig{InboxSize: 2}, gt.class())
	c, g := st.Open(t, h, "gate", "r", "g1")
	st.Connect(t, c, g, "a")
	if _, err := c.TryHandle([]*roomshardv1.GatewayFrame{{}}); !errors.Is(err, shard.ErrBadFrame) {
		t.Fatalf("TryHandle(empty frame) = %v, want ErrBadFrame", err)
	}
	if queued, err := c.TryHandle(nil); !queued || err != nil {
		t.Fatalf("TryHandle(no frames) = %v, %v; want true, nil", queued, err)
	}
	st.Handle(t, c, st.Message("a", "m1"))
	if got := <-gt.entered; got != "m1" {
		t.Fatalf("entered %q", got)
	}
	for _, m := range []string{"m2", "m3"} {
		if queued, err := c.TryHandle([]*roomshardv1.GatewayFrame{st.Message("a", m)}); !queued || err != nil {
			t.Fatalf("TryHandle(%s) = %v, %v; want queued", m, queued, err)
		}
	}
	if queued, err := c.TryHandle([]*roomshardv1.GatewayFrame{st.Message("a", "lost")}); queued || err != nil {
		t.Fatalf("TryHandle on a full queue = %v, %v; want false, nil", queued, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := c.Handle(ctx, []*roomshardv1.GatewayFrame{st.Message("a", "lost")}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Handle on a full queue = %v, want DeadlineExceeded", err)
	}
	// A Handle waiting for space gets in once the queue drains.
	waited := make(chan error, 1)
	go func() { waited <- c.Handle(context.Background(), []*roomshardv1.GatewayFrame{st.Message("a", "m4")}) }()
	time.Sleep(10 * time.Millisecond)
	for range 4 {
		gt.release <- struct{}{}
	}
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range g.WaitFrames(t, 4) {
		got = append(got, string(f.GetDeliver().GetData()))
	}
	if want := "m1 m2 m3 m4"; strings.Join(got, " ") != want {
		t.Fatalf("replies %q, want %q", got, want)
	}
	// Fill the queue again: Detach still returns at once.
	st.Handle(t, c, st.Message("a", "m5"))
	<-gt.entered
	st.Handle(t, c, st.Message("a", "m6"), st.Message("a", "m7"))
	st.Handle(t, c, st.Message("a", "m8"))
	c.Detach(nil)
	close(gt.release)
	st.Eventually(t, func() error {
		if closed, _ := g.Closed(); !closed {
			return errors.New("stream not closed")
		}
		if n := h.RoomCount(); n != 0 {
			return fmt.Errorf("%d rooms held", n)
		}
		return nil
	})
}

// orderClass records the messages of each socket and fails the test when
// two of its handlers overlap or a socket's messages arrive out of order.
type orderClass struct {
	t       *testing.T
	running atomic.Int32
	mu      sync.Mutex // protects last
	last    map[string]int
	total   atomic.Int64
}

func (o *orderClass) class() shard.Class {
	return shard.Class{Name: "order", Hibernatable: true, New: func(*shard.State) shard.Room { return &orderRoom{o: o} }}
}

type orderRoom struct {
	shard.BaseRoom
	o *orderClass
}

func (r *orderRoom) Message(_ context.Context, ws *shard.WebSocket, msg shard.Message) error {
	o := r.o
	if !o.running.CompareAndSwap(0, 1) {
		o.t.Error("two handlers of one room ran at once")
	}
	defer o.running.Store(0)
	var n int
	fmt.Sscan(string(msg.Data), &n)
	o.mu.Lock()
	if prev := o.last[ws.ID()]; n != prev+1 {
		o.t.Errorf("socket %s: message %d after %d", ws.ID(), n, prev)
	}
	o.last[ws.ID()] = n
	o.mu.Unlock()
	o.total.Add(1)
	return nil
}

// TestSleepWakeOrder: a room that falls asleep between most of its events
// (HibernateAfter 1ms, streams pausing) still runs one event at a time,
// each stream's frames in order, with Handle and TryHandle mixed.
func TestSleepWakeOrder(t *testing.T) {
	oc := &orderClass{t: t, last: map[string]int{}}
	h := st.NewHost(t, shard.HostConfig{HibernateAfter: time.Millisecond}, oc.class())
	const streams, perStream = 4, 200
	var wg sync.WaitGroup
	for i := range streams {
		c, g := st.Open(t, h, "order", "r", fmt.Sprintf("g%d", i))
		id := fmt.Sprintf("s%d", i)
		st.Connect(t, c, g, id)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 1; n <= perStream; n++ {
				frames := []*roomshardv1.GatewayFrame{st.Message(id, fmt.Sprint(n))}
				if n%2 == 0 {
					if queued, err := c.TryHandle(frames); err != nil || queued {
						if err != nil {
							t.Error(err)
						}
						goto paced
					}
				}
				if err := c.Handle(context.Background(), frames); err != nil {
					t.Error(err)
					return
				}
			paced:
				if n%7 == 0 {
					time.Sleep(time.Duration(n%3) * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	st.Eventually(t, func() error {
		if n := oc.total.Load(); n != streams*perStream {
			return fmt.Errorf("%d messages handled, want %d", n, streams*perStream)
		}
		return nil
	})
}
