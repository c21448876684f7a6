package gateway

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// fakeShard is an in-test ShardService: the shard runtime is not the
// subject here, only what the gateway does with a real gRPC stream. Client
// messages are commands (see command); everything it sees is logged.
type fakeShard struct {
	roomshardv1.UnimplementedShardServiceServer
	name string
	addr string
	srv  *grpc.Server

	// redirectTo, when set, answers every OpenRoom with a Redirect there.
	redirectTo atomic.Pointer[string]
	// refuse makes Room fail at once (a shard that is down).
	refuse atomic.Bool
	// full makes Room fail at once with ResourceExhausted (a shard at its
	// --max-rooms).
	full atomic.Bool
	// hang makes that many Room calls never answer (a wedged shard).
	hang atomic.Int64
	// closeReply answers SocketClosed with CloseSocket 1000 (the seed's
	// broadcast class).
	closeReply atomic.Bool
	// quiet stops the event log (benchmarks: it grows with every message).
	quiet atomic.Bool

	opens   atomic.Int64 // Room streams accepted
	links   atomic.Int64 // Link calls
	refused atomic.Int64 // Room calls refused

	// protects events, sockets, lastOpen and breakCh
	mu       sync.Mutex
	breakCh  chan struct{} // closed by breakLinks
	events   []string
	sockets  map[string]bool // ids the room knows
	lastOpen *roomshardv1.OpenRoom
}

func startFakeShard(t testing.TB, name string) *fakeShard {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeShard{name: name, addr: ln.Addr().String(), srv: grpc.NewServer(), sockets: map[string]bool{}}
	roomshardv1.RegisterShardServiceServer(f.srv, f)
	go func() { _ = f.srv.Serve(ln) }()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fakeShard) log(format string, args ...any) {
	if f.quiet.Load() {
		return
	}
	f.mu.Lock()
	f.events = append(f.events, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

// Events returns a copy of the log.
func (f *fakeShard) Events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.events...)
}

// has reports whether an event was logged.
func (f *fakeShard) has(event string) bool {
	for _, e := range f.Events() {
		if e == event {
			return true
		}
	}
	return false
}

// CountConnections implements roomshardv1.ShardServiceServer.
func (f *fakeShard) CountConnections(_ context.Context, req *roomshardv1.CountConnectionsRequest) (*roomshardv1.CountConnectionsResponse, error) {
	if to := f.redirectTo.Load(); to != nil {
		return &roomshardv1.CountConnectionsResponse{Redirect: &roomshardv1.Redirect{OwnerGrpcAddr: *to}}, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &roomshardv1.CountConnectionsResponse{Connections: int64(len(f.sockets))}, nil
}

// Link implements roomshardv1.ShardServiceServer: Room for each stream.
// breakLinks ends every Link open now with Unavailable.
func (f *fakeShard) Link(st roomshardv1.ShardService_LinkServer) error {
	f.links.Add(1)
	served := make(chan error, 1)
	go func() { served <- serveLinkAsRooms(st, f.Room) }()
	select {
	case err := <-served:
		return err
	case <-f.linkBreak():
		return status.Error(codes.Unavailable, "fake shard breaks the Link")
	}
}

func (f *fakeShard) linkBreak() chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.breakCh == nil {
		f.breakCh = make(chan struct{})
	}
	return f.breakCh
}

func (f *fakeShard) breakLinks() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.breakCh != nil {
		close(f.breakCh)
		f.breakCh = nil
	}
}

// Room implements roomshardv1.ShardServiceServer.
func (f *fakeShard) Room(st roomshardv1.ShardService_RoomServer) error {
	if f.refuse.Load() {
		f.refused.Add(1)
		return status.Error(codes.Unavailable, "fake shard refuses")
	}
	if f.full.Load() {
		return status.Error(codes.ResourceExhausted, "fake shard: room limit reached")
	}
	if f.hang.Add(-1) >= 0 {
		f.log("hang")
		<-st.Context().Done()
		return st.Context().Err()
	}
	req, err := st.Recv()
	if err != nil {
		return err
	}
	open := req.GetFrames()[0].GetOpen()
	if open == nil {
		return status.Error(codes.InvalidArgument, "first frame is not OpenRoom")
	}
	if to := f.redirectTo.Load(); to != nil {
		f.log("redirect")
		return st.Send(shardFrames(&roomshardv1.ShardFrame{Frame: &roomshardv1.ShardFrame_Redirect{
			Redirect: &roomshardv1.Redirect{Owner: "elsewhere", OwnerGrpcAddr: *to}}}))
	}
	f.opens.Add(1)
	f.mu.Lock()
	f.lastOpen = open
	var ids []string
	for _, s := range open.GetSockets() {
		f.sockets[s.GetId()] = true
		ids = append(ids, fmt.Sprintf("%s%v%q%v", s.GetId(), s.GetTags(), s.GetAttachment(), s.GetAccepted()))
	}
	f.mu.Unlock()
	f.log("open %s %s", open.GetRoom().GetName(), strings.Join(ids, ","))
	if err := st.Send(shardFrames(&roomshardv1.ShardFrame{Frame: &roomshardv1.ShardFrame_Opened{
		Opened: &roomshardv1.RoomOpened{Shard: f.name}}})); err != nil {
		return err
	}
	frames := req.GetFrames()[1:]
	for {
		for _, fr := range frames {
			out, end := f.handle(fr)
			if len(out) > 0 {
				if err := st.Send(shardFrames(out...)); err != nil {
					return err
				}
			}
			if end != nil {
				return end.err
			}
		}
		req, err := st.Recv()
		if err != nil {
			return nil // gateway half-closed or went away
		}
		frames = req.GetFrames()
	}
}

// streamEnd ends a Room stream with err (nil: a clean end).
type streamEnd struct{ err error }

func (f *fakeShard) handle(fr *roomshardv1.GatewayFrame) ([]*roomshardv1.ShardFrame, *streamEnd) {
	switch fr := fr.GetFrame().(type) {
	case *roomshardv1.GatewayFrame_Connected:
		f.mu.Lock()
		f.sockets[fr.Connected.GetSocket().GetId()] = true
		f.mu.Unlock()
		f.log("connected %s", fr.Connected.GetSocket().GetId())
		if who := fr.Connected.GetSocket().GetIdentity(); who != "" {
			f.log("identity %s %s", fr.Connected.GetSocket().GetId(), who)
		}
	case *roomshardv1.GatewayFrame_Closed:
		c := fr.Closed
		f.mu.Lock()
		delete(f.sockets, c.GetSocketId())
		f.mu.Unlock()
		f.log("closed %s %d", c.GetSocketId(), c.GetCode())
		if f.closeReply.Load() {
			return []*roomshardv1.ShardFrame{closeSocket(c.GetSocketId(), 1000, "Durable Object is closing WebSocket")}, nil
		}
	case *roomshardv1.GatewayFrame_AutoResponded:
		f.log("autoresponded %s", fr.AutoResponded.GetSocketId())
	case *roomshardv1.GatewayFrame_Message:
		m := fr.Message
		f.log("message %s %s", m.GetSocketId(), m.GetData())
		return f.command(m.GetSocketId(), string(m.GetData()))
	}
	return nil, nil
}

// command interprets a client message:
//
//	all:X            Deliver X to every socket
//	others:X         Deliver X to every socket but the sender
//	echo:X           Deliver X to the sender
//	close:CODE:WHY   CloseSocket the sender
//	auto:REQ:RESP    SetAutoResponse
//	tag:T, attach:A  SetTags / SetAttachment for the sender
//	break            end the stream with an error (a shard failure)
//	moving           RoomMoving, then end the stream
func (f *fakeShard) command(from, msg string) ([]*roomshardv1.ShardFrame, *streamEnd) {
	verb, arg, _ := strings.Cut(msg, ":")
	deliver := func(d *roomshardv1.Deliver) []*roomshardv1.ShardFrame {
		d.Data = []byte(arg)
		return []*roomshardv1.ShardFrame{{Frame: &roomshardv1.ShardFrame_Deliver{Deliver: d}}}
	}
	switch verb {
	case "all":
		return deliver(&roomshardv1.Deliver{All: true}), nil
	case "others":
		return deliver(&roomshardv1.Deliver{All: true, Except: []string{from}}), nil
	case "echo":
		return deliver(&roomshardv1.Deliver{SocketIds: []string{from}}), nil
	case "close":
		code, why, _ := strings.Cut(arg, ":")
		n, _ := strconv.Atoi(code)
		return []*roomshardv1.ShardFrame{closeSocket(from, int32(n), why)}, nil
	case "auto":
		req, resp, _ := strings.Cut(arg, ":")
		return []*roomshardv1.ShardFrame{{Frame: &roomshardv1.ShardFrame_AutoResponse{
			AutoResponse: &roomshardv1.SetAutoResponse{Request: req, Response: resp}}}}, nil
	case "tag":
		return []*roomshardv1.ShardFrame{{Frame: &roomshardv1.ShardFrame_Tags{
			Tags: &roomshardv1.SetTags{SocketId: from, Tags: []string{arg}}}}}, nil
	case "attach":
		return []*roomshardv1.ShardFrame{{Frame: &roomshardv1.ShardFrame_Attachment{
			Attachment: &roomshardv1.SetAttachment{SocketId: from, Attachment: []byte(arg)}}}}, nil
	case "break":
		return nil, &streamEnd{status.Error(codes.Unavailable, "fake shard breaks the stream")}
	case "moving":
		return []*roomshardv1.ShardFrame{{Frame: &roomshardv1.ShardFrame_Moving{
			Moving: &roomshardv1.RoomMoving{Reason: "test"}}}}, &streamEnd{}
	}
	return nil, nil
}

func closeSocket(id string, code int32, reason string) *roomshardv1.ShardFrame {
	return &roomshardv1.ShardFrame{Frame: &roomshardv1.ShardFrame_Close{
		Close: &roomshardv1.CloseSocket{SocketId: id, Code: code, Reason: reason}}}
}

func shardFrames(fs ...*roomshardv1.ShardFrame) *roomshardv1.RoomResponse {
	return &roomshardv1.RoomResponse{Frames: fs}
}

// socketCount checks that the room knows exactly n sockets.
func (f *fakeShard) socketCount(n int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sockets) != n {
		return fmt.Errorf("shard knows %d sockets, want %d", len(f.sockets), n)
	}
	return nil
}

// hasMessages checks that socket id's messages include want, in order and
// without anything between them.
func (f *fakeShard) hasMessages(id string, want ...string) error {
	var got []string
	for _, e := range f.Events() {
		if m, ok := strings.CutPrefix(e, "message "+id+" "); ok {
			got = append(got, m)
		}
	}
	for i := range got {
		if i+len(want) <= len(got) && slices.Equal(got[i:i+len(want)], want) {
			return nil
		}
	}
	return fmt.Errorf("messages of %s: %v; want the run %v", id, got, want)
}
