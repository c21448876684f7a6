package gateway

import (
	"time"

	"github.com/gorilla/websocket"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// Close reasons the gateway itself gives.
const (
	reasonRestarting  = "gateway restarting"
	reasonQueueFull   = "send queue full"
	reasonRoomBuffer  = "room busy"
	reasonUnavailable = "room unavailable"
	reasonTooBig      = "message too big"
)

// onJoin adds a new client socket and announces it to the room.
func (r *room) onJoin(c *client) {
	m := &member{c: c}
	c.batch = &r.unwoken // see client.signal
	r.sockets[c.id] = m
	r.send(&roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_Connected{
		Connected: &roomshardv1.SocketConnected{Socket: m.socketInfo(false)}}})
	if r.cur == nil && r.retryC == nil {
		r.open()
	}
}

// onMessage handles one client message: the room's auto-response is
// answered here without waking the room; anything else goes to the shard.
func (r *room) onMessage(c *client, data []byte, binary bool) {
	m := r.sockets[c.id]
	if m == nil {
		return // closing or closed: the room no longer hears it
	}
	if r.backlog() >= r.env.cfg.RoomBuffer {
		r.dropSocket(m, closeReq{code: websocket.CloseTryAgainLater, reason: reasonRoomBuffer})
		return
	}
	if !binary && r.auto.set && string(data) == r.auto.request {
		if !c.enqueue(r.auto.response) {
			r.overflow(m)
			return
		}
		m.lastAuto = time.Now().UnixMilli()
		r.send(&roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_AutoResponded{
			AutoResponded: &roomshardv1.AutoResponded{SocketId: c.id, AtUnixMs: m.lastAuto}}})
		return
	}
	r.send(messageFrame(c.id, data, binary))
}

// socketMessage is a SocketMessage frame allocated as one object instead
// of three (frame, oneof wrapper, message): one per client message.
type socketMessage struct {
	frame roomshardv1.GatewayFrame
	wrap  roomshardv1.GatewayFrame_Message
	msg   roomshardv1.SocketMessage
}

func messageFrame(id string, data []byte, binary bool) *roomshardv1.GatewayFrame {
	m := &socketMessage{}
	m.msg.SocketId, m.msg.Data, m.msg.Binary = id, data, binary
	m.wrap.Message = &m.msg
	m.frame.Frame = &m.wrap
	return &m.frame
}

// onGone handles the end of a client's read loop.
func (r *room) onGone(c *client, end readEnd) {
	m := r.sockets[c.id]
	if m == nil {
		return // the room or the gateway closed it first; nothing to report
	}
	delete(r.sockets, c.id)
	switch end.kind {
	case endClosed:
		// Wait for the room's own close code (ARCHITECTURE.md).
		m.closeCode, m.closeReason = end.code, end.reason
		r.closing[c.id] = m
		r.sendClosed(c.id, end.code, end.reason, true)
		m.closeTimer = time.AfterFunc(r.env.cfg.CloseWait, func() {
			r.post(func() { r.onCloseTimeout(m) })
		})
	case endTooBig:
		r.sendClosed(c.id, end.code, end.reason, false)
		c.close(closeReq{code: end.code, reason: end.reason, noFrame: true})
	case endPolicy:
		// The reader stopped; the writer sends our close frame (1008).
		r.sendClosed(c.id, end.code, end.reason, false)
		c.close(closeReq{code: end.code, reason: end.reason})
	default:
		r.sendClosed(c.id, websocket.CloseAbnormalClosure, "", false)
		c.close(closeReq{code: websocket.CloseAbnormalClosure, noFrame: true})
	}
}

// onCloseTimeout answers a client's close with its own code when the room
// did not choose one in time.
func (r *room) onCloseTimeout(m *member) {
	if r.closing[m.c.id] != m {
		return
	}
	delete(r.closing, m.c.id)
	m.c.close(closeReq{code: m.closeCode, reason: m.closeReason, echo: true})
}

// finishClosing answers a client's close with the given code now.
func (r *room) finishClosing(m *member, code int, reason string) {
	delete(r.closing, m.c.id)
	m.closeTimer.Stop()
	m.c.close(closeReq{code: code, reason: reason, echo: true})
}

// overflow closes a client whose send queue is full (a slow consumer).
func (r *room) overflow(m *member) {
	r.env.metrics.queueDrops.Inc()
	r.dropSocket(m, closeReq{code: websocket.CloseTryAgainLater, reason: reasonQueueFull})
}

// dropSocket closes a live socket on the gateway's initiative and tells the
// room it is gone.
func (r *room) dropSocket(m *member, req closeReq) {
	delete(r.sockets, m.c.id)
	m.c.close(req)
	r.sendClosed(m.c.id, req.code, req.reason, true)
}

func (r *room) sendClosed(id string, code int, reason string, clean bool) {
	r.send(&roomshardv1.GatewayFrame{Frame: &roomshardv1.GatewayFrame_Closed{
		Closed: &roomshardv1.SocketClosed{SocketId: id, Code: int32(code), Reason: reason, WasClean: clean}}})
}

// closeAll closes every socket of the room with code (Shutdown: 1012;
// room unavailable: 1013). Client-closed sockets get their own code back.
func (r *room) closeAll(code int, reason string) {
	for _, m := range r.sockets {
		r.dropSocket(m, closeReq{code: code, reason: reason})
	}
	for _, m := range r.closing {
		r.finishClosing(m, m.closeCode, m.closeReason)
	}
}

// killAll drops every connection without ceremony (hard stop).
func (r *room) killAll() {
	for id, m := range r.sockets {
		delete(r.sockets, id)
		m.c.kill()
	}
	for id, m := range r.closing {
		delete(r.closing, id)
		m.closeTimer.Stop()
		m.c.kill()
	}
}

// onShutdown closes every client with 1012; the room leaves once the
// clients are gone and released it.
func (r *room) onShutdown() {
	r.closeAll(websocket.CloseServiceRestart, reasonRestarting)
}

// onQuit runs when no client holds the room any more: flush what the
// shard still needs (SocketClosed frames), half-close the stream and leave
// when the shard ends it, or after a short deadline.
func (r *room) onQuit() {
	r.quitting = true
	r.killAll() // only stragglers past their handler's deadline remain
	if r.cur == nil || !r.opened {
		r.exit = true
		return
	}
	r.cur.out.halfClose()
	r.leaveC = time.After(defaultRoomIdleDeadline)
}
