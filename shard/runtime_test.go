package shard_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/ring"
	"github.com/roomshard/roomshard/shard"
	"github.com/roomshard/roomshard/shard/builtin"
	st "github.com/roomshard/roomshard/shard/shardtest"
)

func newHost(t testing.TB, extra ...shard.Class) *shard.Host {
	return st.NewHost(t, shard.HostConfig{}, append(builtin.All(), extra...)...)
}

func wantRecord(t *testing.T, events <-chan closeRecord, want closeRecord) {
	t.Helper()
	select {
	case got := <-events:
		if got != want {
			t.Fatalf("handler call = %+v, want %+v", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no handler call, want %+v", want)
	}
}

// TestOneEventAtATime hammers one room from four gateway streams; the
// room's plain counter must be exact, and -race must stay silent.
func TestOneEventAtATime(t *testing.T) {
	h := newHost(t, counterClass())
	const streams, perStream = 4, 250
	conns := make([]*shard.Conn, streams)
	gws := make([]*st.Gateway, streams)
	for i := range conns {
		conns[i], gws[i] = st.Open(t, h, "count", "hot", fmt.Sprintf("g%d", i))
		st.Connect(t, conns[i], gws[i], fmt.Sprintf("s%d", i))
	}
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perStream {
				if err := c.Handle(context.Background(), []*roomshardv1.GatewayFrame{st.Message(fmt.Sprintf("s%d", i), "+")}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	st.Handle(t, conns[0], st.Message("s0", "get"))
	st.WantDelivers(t, gws[0].WaitFrames(t, 1), st.Deliver{IDs: []string{"s0"}, Text: fmt.Sprint(streams * perStream)})
}

func TestPanicClosesSocketWith1011(t *testing.T) {
	h := newHost(t, faultyClass())
	c, g := st.Open(t, h, "faulty", "r1", "g1")
	st.Connect(t, c, g, "a", "b")
	other, og := st.Open(t, h, "echo", "elsewhere", "g1")
	st.Connect(t, other, og, "x")

	st.Handle(t, c, st.Message("a", "boom"))
	f := g.WaitFrames(t, 2)
	// What the handler sent before panicking still goes, then the close.
	st.WantDelivers(t, f[:1], st.Deliver{IDs: []string{"a"}, Text: "before panic"})
	st.WantClose(t, f[1], "a", 1011, "room error")

	st.Handle(t, c, st.Message("b", "err"))
	st.WantClose(t, g.WaitFrames(t, 1)[0], "b", 1011, "room error")

	// The room and the other room keep running; a message from the closed
	// socket that was in flight is dropped, not fatal to the stream.
	st.Handle(t, c, st.Message("a", "late"))
	st.Connect(t, c, g, "c")
	st.Handle(t, c, st.Message("c", "hi"))
	st.WantDelivers(t, g.WaitFrames(t, 1), st.Deliver{IDs: []string{"c"}, Text: "ok"})
	st.Handle(t, other, st.Message("x", "still"))
	st.WantDelivers(t, og.WaitFrames(t, 1), st.Deliver{IDs: []string{"x"}, Text: "[Durable Object]: still"})
	if closed, _ := g.Closed(); closed {
		t.Error("the faulty room's stream was closed")
	}
}

func TestHandlerCloseErrorUsesItsCode(t *testing.T) {
	h := newHost(t, faultyClass())
	c, g := st.Open(t, h, "faulty", "r", "g1")
	st.Connect(t, c, g, "a")
	st.Handle(t, c, st.Message("a", "kick"))
	st.WantClose(t, g.WaitFrames(t, 1)[0], "a", 4000, "kicked")
}

func TestConnectHook(t *testing.T) {
	events := make(chan closeRecord, 16)
	h := newHost(t, recorderClass(events))
	c, g := st.Open(t, h, "recorder", "r", "g1")

	st.Handle(t, c, st.ConnectedAs("bad", "bad"))
	st.WantClose(t, g.WaitFrames(t, 1)[0], "bad", 1008, "go away")
	st.Handle(t, c, st.ConnectedAs("many", "many"))
	st.WantClose(t, g.WaitFrames(t, 1)[0], "many", 1011, "room error")

	st.Handle(t, c, st.ConnectedAs("a", "red"), st.ConnectedAs("b", "blue"), st.ConnectedAs("c", "red"))
	f := g.WaitFrames(t, 3)
	for i, id := range []string{"a", "b", "c"} {
		if tg := f[i].GetTags(); tg.GetSocketId() != id || len(tg.GetTags()) != 1 {
			t.Errorf("frame %d = %s, want SetTags for %s", i, st.Dump(f[i:i+1]), id)
		}
	}
	st.Handle(t, c, st.Message("b", "tag:red"))
	st.WantDelivers(t, g.WaitFrames(t, 1), st.Deliver{IDs: []string{"a", "c"}, Text: "to red"})
	st.Handle(t, c, st.Message("b", "count"))
	st.WantDelivers(t, g.WaitFrames(t, 1), st.Deliver{IDs: []string{"b"}, Text: "3 3"})
}

func TestRedirectWhenRingNamesAnotherShard(t *testing.T) {
	rg := ring.New([]ring.Node{{Name: "s2", Addr: "10.0.0.2:7100"}}, 0)
	h := st.NewHost(t, shard.HostConfig{Ring: func() *ring.Ring { return rg }}, builtin.All()...)
	g := st.NewGateway("g1")
	conn, rd, err := h.Open(context.Background(), &roomshardv1.OpenRoom{
		Room: &roomshardv1.RoomRef{Namespace: "echo", Name: "x"}, Gateway: "g1",
	}, g)
	if err != nil || conn != nil {
		t.Fatalf("Open = %v, %v; want a redirect", conn, err)
	}
	if rd.GetOwner() != "s2" || rd.GetOwnerGrpcAddr() != "10.0.0.2:7100" || rd.GetRingVersion() != rg.Version() || rd.GetReason() == "" {
		t.Errorf("redirect = %v", rd)
	}
	n, rd, err := h.CountConnections(&roomshardv1.RoomRef{Namespace: "echo", Name: "x"})
	if err != nil || n != 0 || rd.GetOwner() != "s2" {
		t.Errorf("CountConnections = %d, %v, %v; want a redirect", n, rd, err)
	}
	if h.RoomCount() != 0 {
		t.Error("a redirected room was activated")
	}
}

// TestStreamBreakRunsCloseHandlers: a gateway's stream breaking closes its
// sockets with 1006, wasClean=false; the other gateway's stay.
func TestStreamBreakRunsCloseHandlers(t *testing.T) {
	events := make(chan closeRecord, 16)
	h := newHost(t, recorderClass(events))
	c1, g1 := st.Open(t, h, "recorder", "r", "g1")
	c2, g2 := st.Open(t, h, "recorder", "r", "g2")
	st.Connect(t, c1, g1, "a", "b")
	st.Connect(t, c2, g2, "c")

	c1.Detach(errors.New("connection reset"))
	wantRecord(t, events, closeRecord{id: "a", code: 1006})
	wantRecord(t, events, closeRecord{id: "b", code: 1006})
	if closed, _ := g1.Closed(); !closed {
		t.Error("the broken stream's Outbound was not closed")
	}
	st.Handle(t, c2, st.Message("c", "count"))
	st.WantDelivers(t, g2.WaitFrames(t, 1), st.Deliver{IDs: []string{"c"}, Text: "1 1"})
	select {
	case ev := <-events:
		t.Errorf("unexpected handler call %+v", ev)
	default:
	}
}

func TestClientCloseAndError(t *testing.T) {
	events := make(chan closeRecord, 16)
	h := newHost(t, recorderClass(events))
	c, g := st.Open(t, h, "recorder", "r", "g1")
	st.Connect(t, c, g, "a", "b")

	st.Handle(t, c, st.ClosedFrame("a", 4001, "done"))
	wantRecord(t, events, closeRecord{id: "a", code: 4001, wasClean: true})
	// The room did not close it: the client's code is echoed at once.
	st.WantClose(t, g.WaitFrames(t, 1)[0], "a", 4001, "done")

	st.Handle(t, c, &roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_Error{Error: &roomshardv1.SocketError{SocketId: "b", Message: "read: reset"}}})
	wantRecord(t, events, closeRecord{id: "b", err: "read: reset"})
	g.Quiet(t)
}

func TestUnknownSocketDropsOnlyThatStream(t *testing.T) {
	events := make(chan closeRecord, 16)
	h := newHost(t, recorderClass(events))
	c1, g1 := st.Open(t, h, "recorder", "r", "g1")
	c2, g2 := st.Open(t, h, "recorder", "r", "g2")
	st.Connect(t, c1, g1, "a")
	st.Connect(t, c2, g2, "b")

	st.Handle(t, c1, st.Message("b", "not yours")) // b is on g2's stream
	st.Eventually(t, func() error {
		if closed, err := g1.Closed(); !closed || !errors.Is(err, shard.ErrUnknownSocket) {
			return fmt.Errorf("g1 closed=%v err=%v, want ErrUnknownSocket", closed, err)
		}
		return nil
	})
	wantRecord(t, events, closeRecord{id: "a", code: 1006})
	st.Handle(t, c2, st.Message("b", "count"))
	st.WantDelivers(t, g2.WaitFrames(t, 1), st.Deliver{IDs: []string{"b"}, Text: "1 1"})
}

func TestBadFrames(t *testing.T) {
	h := newHost(t)
	c, g := st.Open(t, h, "echo", "r", "g1")
	cases := map[string]*roomshardv1.GatewayFrame{
		"empty":         {},
		"nil":           nil,
		"open again":    {Frame: &roomshardv1.GatewayFrame_Open{Open: &roomshardv1.OpenRoom{}}},
		"no socket":     {Frame: &roomshardv1.GatewayFrame_Connected{Connected: &roomshardv1.SocketConnected{}}},
		"empty id":      st.Message("", "x"),
		"id too long":   st.Message(string(make([]byte, 200)), "x"),
		"closed no id":  st.ClosedFrame("", 1000, ""),
		"auto no id":    {Frame: &roomshardv1.GatewayFrame_AutoResponded{AutoResponded: &roomshardv1.AutoResponded{}}},
		"error no id":   {Frame: &roomshardv1.GatewayFrame_Error{Error: &roomshardv1.SocketError{}}},
		"connect no id": st.Connected(""),
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			err := c.Handle(context.Background(), []*roomshardv1.GatewayFrame{f})
			if !errors.Is(err, shard.ErrBadFrame) {
				t.Errorf("Handle = %v, want ErrBadFrame", err)
			}
		})
	}
	opens := map[string]struct {
		open *roomshardv1.OpenRoom
		want error
	}{
		"unknown namespace": {&roomshardv1.OpenRoom{Gateway: "g", Room: &roomshardv1.RoomRef{Namespace: "nope", Name: "x"}}, shard.ErrUnknownNamespace},
		"no room":           {&roomshardv1.OpenRoom{Gateway: "g"}, shard.ErrUnknownNamespace},
		"bad id":            {&roomshardv1.OpenRoom{Gateway: "g", Room: &roomshardv1.RoomRef{Namespace: "echo", Id: "XYZ"}}, shard.ErrBadRoom},
		"id/name mismatch":  {&roomshardv1.OpenRoom{Gateway: "g", Room: &roomshardv1.RoomRef{Namespace: "echo", Name: "x", Id: string(make([]byte, 64))}}, shard.ErrBadRoom},
		"bad name":          {&roomshardv1.OpenRoom{Gateway: "g", Room: &roomshardv1.RoomRef{Namespace: "echo", Name: "\xff"}}, shard.ErrBadRoom},
		"no gateway":        {&roomshardv1.OpenRoom{Room: &roomshardv1.RoomRef{Namespace: "echo", Name: "x"}}, shard.ErrBadFrame},
		"too many tags": {&roomshardv1.OpenRoom{Gateway: "g", Room: &roomshardv1.RoomRef{Namespace: "echo", Name: "x"},
			Sockets: []*roomshardv1.Socket{{Id: "s", Tags: make([]string, 11)}}}, shard.ErrBadFrame},
		"nil open": {nil, shard.ErrBadFrame},
	}
	for name, tc := range opens {
		t.Run(name, func(t *testing.T) {
			_, _, err := h.Open(context.Background(), tc.open, st.NewGateway("g"))
			if !errors.Is(err, tc.want) {
				t.Errorf("Open = %v, want %v", err, tc.want)
			}
		})
	}
	// Duplicate socket ids drop the offending stream.
	st.Connect(t, c, g, "a")
	c2, g2 := st.Open(t, h, "echo", "r", "g2")
	st.Handle(t, c2, st.Connected("a"))
	st.Eventually(t, func() error {
		if closed, err := g2.Closed(); !closed || !errors.Is(err, shard.ErrDuplicateSocket) {
			return fmt.Errorf("g2 closed=%v err=%v", closed, err)
		}
		return nil
	})
	st.Handle(t, c, st.Message("a", "fine"))
	st.WantDelivers(t, g.WaitFrames(t, 1), st.Deliver{IDs: []string{"a"}, Text: "[Durable Object]: fine"})
}

// TestReopenSupersedes: a gateway re-opening the room (its old stream not
// yet seen as broken) keeps its sockets without close or connect events.
func TestReopenSupersedes(t *testing.T) {
	events := make(chan closeRecord, 16)
	h := newHost(t, recorderClass(events))
	c1, g1 := st.Open(t, h, "recorder", "r", "g1")
	st.Connect(t, c1, g1, "a", "b")

	c2, g2 := st.Open(t, h, "recorder", "r", "g1", &roomshardv1.Socket{Id: "a", Accepted: true})
	wantRecord(t, events, closeRecord{id: "b", code: 1006}) // not re-announced: gone
	if closed, err := g1.Closed(); !closed || !errors.Is(err, shard.ErrSuperseded) {
		t.Errorf("old stream closed=%v err=%v", closed, err)
	}
	st.Handle(t, c2, st.Message("a", "count"))
	st.WantDelivers(t, g2.WaitFrames(t, 1), st.Deliver{IDs: []string{"a"}, Text: "1 1"})
	c1.Detach(nil) // the old stream's reader ends later: harmless
	g2.Quiet(t)
}

func TestReannouncedSocketsNeedNoConnect(t *testing.T) {
	h := newHost(t)
	sockets := []*roomshardv1.Socket{
		{Id: "a", Accepted: true, Tags: []string{"t"}, Attachment: []byte(`{"id":"a"}`)},
		{Id: "b", Accepted: false},
	}
	c, g := st.Open(t, h, "hibernation", "moved", "g1", sockets...)
	// Only b runs the connect hook (which constructs the room, setting the auto-response).
	f := g.WaitFrames(t, 3)
	if f[0].GetTags().GetSocketId() != "b" || f[1].GetAutoResponse() == nil || f[2].GetAttachment().GetSocketId() != "b" {
		t.Fatalf("frames = %s", st.Dump(f))
	}
	st.Handle(t, c, st.Message("a", "m"))
	text := "[Durable Object] message: m, from: a. Total connections: 2"
	st.WantDelivers(t, g.WaitFrames(t, 3),
		st.Deliver{IDs: []string{"a"}, Text: text},
		st.Deliver{All: true, Text: text},
		st.Deliver{All: true, Except: []string{"a"}, Text: text},
	)
}

func TestRoomRetiresWhenStreamsEnd(t *testing.T) {
	h := newHost(t)
	c, g := st.Open(t, h, "echo", "brief", "g1")
	st.Connect(t, c, g, "a")
	if h.RoomCount() != 1 {
		t.Fatalf("rooms = %d", h.RoomCount())
	}
	st.Handle(t, c, st.ClosedFrame("a", 1000, ""))
	c.Detach(nil) // the gateway half-closed after its last socket
	st.Eventually(t, func() error {
		if n := h.RoomCount(); n != 0 {
			return fmt.Errorf("rooms = %d, want 0", n)
		}
		return nil
	})
	f := g.WaitFrames(t, 1)
	st.WantClose(t, f[0], "a", 1000, "")
	if closed, err := g.Closed(); !closed || err != nil {
		t.Errorf("stream closed=%v err=%v, want a normal end", closed, err)
	}
	// The room comes back on the next open.
	c, g = st.Open(t, h, "echo", "brief", "g1")
	st.Connect(t, c, g, "b")
}

func TestHostCloseMovesRooms(t *testing.T) {
	h := st.NewHost(t, shard.HostConfig{}, builtin.All()...)
	c, g := st.Open(t, h, "echo", "r", "g1")
	st.Connect(t, c, g, "a")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if m := g.WaitFrames(t, 1)[0].GetMoving(); m == nil {
		t.Error("no RoomMoving")
	}
	if closed, err := g.Closed(); !closed || err != nil {
		t.Errorf("closed=%v err=%v", closed, err)
	}
	if _, _, err := h.Open(ctx, &roomshardv1.OpenRoom{Gateway: "g1", Room: &roomshardv1.RoomRef{Namespace: "echo", Name: "r"}}, g); !errors.Is(err, shard.ErrClosed) {
		t.Errorf("Open after Close = %v", err)
	}
}

// TestCloseWhileOpening: every stream a closing host accepted is ended
// (RoomMoving), none is left waiting.
func TestCloseWhileOpening(t *testing.T) {
	h := newHost(t)
	const n = 64
	var wg sync.WaitGroup
	accepted := make([]*st.Gateway, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := st.NewGateway(fmt.Sprint("g", i))
			_, _, err := h.Open(context.Background(), &roomshardv1.OpenRoom{
				Gateway: g.Name(), Room: &roomshardv1.RoomRef{Namespace: "echo", Name: fmt.Sprint("r", i%4)},
			}, g)
			if err == nil {
				accepted[i] = g
			} else if !errors.Is(err, shard.ErrClosed) && !errors.Is(err, shard.ErrRoomStopped) {
				t.Error(err)
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for _, g := range accepted {
		if g == nil {
			continue
		}
		st.Eventually(t, func() error {
			if closed, _ := g.Closed(); !closed {
				return fmt.Errorf("%s was accepted but never ended", g.Name())
			}
			return nil
		})
	}
}
