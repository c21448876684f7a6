package shard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// This file is the room's side of the gateway protocol: what each gateway
// frame does to the registry and which event it runs. Everything here runs
// on the room's goroutine.

// attach adds a gateway stream to the room and registers the sockets it
// re-announces. A newer stream of the same gateway supersedes the old one:
// sockets it re-announces move over without events.
func (r *room) attach(l *link, open *roomshardv1.OpenRoom) {
	r.h.mu.Lock()
	r.pending--
	r.h.mu.Unlock()
	if r.activateErr != nil {
		l.gone = true
		l.out.Close(r.activateErr)
		return
	}
	if r.stopped {
		l.gone = true
		l.out.Send(movingFrame(r.stopReason))
		l.out.Close(nil)
		return
	}
	old := r.reg.linkOf(l.gateway)
	if err := r.checkAnnounced(old, open.GetSockets()); err != nil {
		l.gone = true
		l.out.Close(err)
		return
	}
	r.reg.addLink(l)
	l.out.Send(&roomshardv1.ShardFrame{Frame: &roomshardv1.ShardFrame_Opened{Opened: &roomshardv1.RoomOpened{
		Shard: r.h.cfg.Node, RingVersion: r.h.cfg.Ring().Version(),
	}}})
	if r.autoReq != "" {
		l.out.Send(autoResponseFrame(r.autoReq, r.autoResp))
	}
	var connect []*socket
	for _, p := range open.GetSockets() {
		if s := r.reg.sockets[p.GetId()]; s != nil { // on old, by checkAnnounced
			r.reg.move(s, l)
			continue
		}
		if old != nil && old.recent.has(p.GetId()) {
			// The room closed it but the old stream broke before the gateway heard.
			l.recent.add(p.GetId())
			l.out.Send(closeFrame(p.GetId(), CloseNormal, ""))
			continue
		}
		s := r.newSocket(l, p)
		r.reg.add(s)
		if p.GetAccepted() {
			s.accepted = true
		} else {
			connect = append(connect, s)
		}
	}
	if old != nil {
		r.dropLink(old, ErrSuperseded)
	}
	for _, s := range connect {
		r.connect(s)
	}
}

// checkAnnounced rejects re-announced sockets the room holds on another
// gateway's stream, or twice.
func (r *room) checkAnnounced(old *link, sockets []*roomshardv1.Socket) error {
	seen := make(map[string]bool, len(sockets))
	for _, p := range sockets {
		id := p.GetId()
		if seen[id] {
			return fmt.Errorf("%w: %q announced twice", ErrDuplicateSocket, id)
		}
		seen[id] = true
		if s := r.reg.sockets[id]; s != nil && (old == nil || s.link != old) {
			return fmt.Errorf("%w: %q is held by gateway %q", ErrDuplicateSocket, id, s.link.gateway)
		}
	}
	return nil
}

func (r *room) newSocket(l *link, p *roomshardv1.Socket) *socket {
	s := &socket{
		id:         p.GetId(),
		link:       l,
		tags:       slices.Clone(p.GetTags()),
		attachment: slices.Clone(p.GetAttachment()),
		identity:   p.GetIdentity(),
	}
	s.connectedAt = time.Now()
	if ms := p.GetConnectedAtUnixMs(); ms > 0 {
		s.connectedAt = time.UnixMilli(ms)
	}
	if ms := p.GetLastAutoResponseUnixMs(); ms > 0 {
		s.lastAuto = time.UnixMilli(ms)
	}
	s.ws = &WebSocket{r: r, s: s}
	return s
}

// onFrames handles one batch of gateway frames, in order.
func (r *room) onFrames(l *link, frames []*roomshardv1.GatewayFrame) {
	for _, f := range frames {
		if l.gone {
			return // frames sent before the gateway learned its stream was dropped
		}
		switch x := f.GetFrame().(type) {
		case *roomshardv1.GatewayFrame_Connected:
			r.onConnected(l, x.Connected.GetSocket())
		case *roomshardv1.GatewayFrame_Message:
			r.onMessage(l, x.Message)
		case *roomshardv1.GatewayFrame_Closed:
			r.onClosed(l, x.Closed)
		case *roomshardv1.GatewayFrame_Error:
			r.onError(l, x.Error)
		case *roomshardv1.GatewayFrame_AutoResponded:
			r.onAutoResponded(l, x.AutoResponded)
		}
	}
}

// lookup finds a socket of l. Frames for a socket the room removed lately
// are dropped (nil, true); an unknown id drops the stream (nil, false).
func (r *room) lookup(l *link, id string) (*socket, bool) {
	if s := l.sockets[id]; s != nil {
		return s, true
	}
	if l.recent.has(id) {
		return nil, true
	}
	r.dropLink(l, fmt.Errorf("%w: %q", ErrUnknownSocket, id))
	return nil, false
}

func (r *room) onConnected(l *link, p *roomshardv1.Socket) {
	if s := r.reg.sockets[p.GetId()]; s != nil || l.recent.has(p.GetId()) {
		r.dropLink(l, fmt.Errorf("%w: %q", ErrDuplicateSocket, p.GetId()))
		return
	}
	p = &roomshardv1.Socket{Id: p.GetId(), Identity: p.GetIdentity(), ConnectedAtUnixMs: p.GetConnectedAtUnixMs()}
	s := r.newSocket(l, p)
	r.reg.add(s)
	r.connect(s)
}

// connect runs the connect hook; a socket it does not refuse is accepted
// and its tags go to the gateway first (SetTags, also without tags, tells
// the gateway the socket is accepted).
func (r *room) connect(s *socket) {
	r.dispatch(evConnect, s, func(ctx context.Context, obj Room) error {
		c, ok := obj.(Connector)
		if !ok {
			return nil
		}
		tags, err := c.Connect(ctx, s.ws)
		if err != nil {
			return err
		}
		if err := checkTags(tags); err != nil {
			return fmt.Errorf("connect hook: %w", err)
		}
		s.tags = slices.Clone(tags)
		return nil
	}, func() {
		if s.state == sockOpen {
			s.accepted = true
			r.cur.pushFront(s.link, tagsFrame(s.id, slices.Clone(s.tags)))
		}
	})
}

func (r *room) onMessage(l *link, m *roomshardv1.SocketMessage) {
	s, ok := r.lookup(l, m.GetSocketId())
	if !ok || s == nil {
		return
	}
	msg := Message{Data: m.GetData(), Binary: m.GetBinary()}
	r.dispatch(evMessage, s, func(ctx context.Context, obj Room) error {
		return obj.Message(ctx, s.ws, msg)
	}, nil)
}

func (r *room) onClosed(l *link, c *roomshardv1.SocketClosed) {
	s, ok := r.lookup(l, c.GetSocketId())
	if !ok || s == nil {
		return
	}
	r.closeEvent(s, int(c.GetCode()), c.GetReason(), c.GetWasClean())
}

// closeEvent runs the close handler for a socket that is gone at the
// client. Unless the handler closed it with its own code, the client's
// close is echoed so the gateway need not wait for the room.
func (r *room) closeEvent(s *socket, code int, reason string, wasClean bool) {
	r.reg.remove(s)
	s.state = sockClosing
	r.dispatch(evClose, s, func(ctx context.Context, obj Room) error {
		return obj.Close(ctx, s.ws, code, reason, wasClean)
	}, func() {
		if s.state == sockClosing {
			echo, why := code, reason
			if checkClose(echo, why) != nil {
				echo, why = CloseNormal, ""
			}
			r.closeSocket(s, echo, why)
		}
	})
}

func (r *room) onError(l *link, e *roomshardv1.SocketError) {
	s, ok := r.lookup(l, e.GetSocketId())
	if !ok || s == nil {
		return
	}
	r.reg.remove(s)
	s.state = sockClosing
	err := errors.New(e.GetMessage())
	r.dispatch(evError, s, func(ctx context.Context, obj Room) error {
		return obj.Error(ctx, s.ws, err)
	}, func() { s.state = sockClosed })
}

func (r *room) onAutoResponded(l *link, a *roomshardv1.AutoResponded) {
	s, ok := r.lookup(l, a.GetSocketId())
	if !ok || s == nil {
		return
	}
	s.lastAuto = time.Now()
	if ms := a.GetAtUnixMs(); ms > 0 {
		s.lastAuto = time.UnixMilli(ms)
	}
}

// dropLink detaches a gateway stream: it ends the stream (with err, or
// normally when nil) and runs the close handler, code 1006, for each socket
// still on it. Idempotent.
func (r *room) dropLink(l *link, err error) {
	if l.gone {
		return
	}
	l.gone = true
	r.reg.removeLink(l)
	l.out.Close(err)
	if err != nil && !errors.Is(err, ErrSuperseded) {
		r.logger().Info("gateway stream dropped", "gateway", l.gateway, "sockets", len(l.sockets), "err", err)
	}
	left := make([]*socket, 0, len(l.sockets))
	for _, s := range l.sockets {
		left = append(left, s)
	}
	slices.SortFunc(left, func(a, b *socket) int { return cmp.Compare(a.seq, b.seq) })
	for _, s := range left {
		r.reg.remove(s)
		s.state = sockClosing
		r.dispatch(evClose, s, func(ctx context.Context, obj Room) error {
			return obj.Close(ctx, s.ws, CloseAbnormal, "", false)
		}, func() { s.state = sockClosed })
	}
}
