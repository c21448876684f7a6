package bench

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
)

// Class is the room behaviour a scenario needs from the server.
type Class int

const (
	// ClassEcho rooms answer each message to its sender only.
	ClassEcho Class = iota
	// ClassBroadcast rooms send each message to every member.
	ClassBroadcast
)

// Kind says which of a target's reply texts a frame was.
type Kind int

const (
	// KindEcho is an echo reply to the sender.
	KindEcho Kind = iota
	// KindSelf is a broadcast text addressed to the initiating client only.
	KindSelf
	// KindOthers is addressed to every member except the initiating client.
	KindOthers
	// KindAll is addressed to every member including the initiating client.
	KindAll
	// KindVerbatim is the message itself, as a plain hub relays it.
	KindVerbatim
)

// Delivery is one harness payload found in a received frame.
type Delivery struct {
	Payload Payload
	Kind    Kind
}

// Target is what the harness needs to know about a server's protocol: which
// URL a room has and how replies look. Implementations must be safe for
// concurrent use (they are read-only values).
type Target interface {
	// Name identifies the protocol in results ("roomshard", "plain").
	Name() string
	// RoomURL returns the WebSocket URL of the named room of a class.
	RoomURL(c Class, room string) (string, error)
	// Decode appends the deliveries found in one text frame to out.
	Decode(frame []byte, out []Delivery) ([]Delivery, error)
	// Frames returns how many frames each other member and the sender
	// receive for one message sent in a room of class c.
	Frames(c Class) (others, self int)
}

// Roomshard speaks the gateway routes of SPEC §2 and the reply texts of the
// built-in echo, broadcast and hibernation classes of SPEC §4.
type Roomshard struct {
	// Base is the gateway's ws:// or wss:// URL without a path.
	Base string
	// EchoNamespace is bound to the echo class. Default "echo".
	EchoNamespace string
	// BroadcastNamespace is bound to the broadcast or hibernation class.
	// Default "broadcast".
	BroadcastNamespace string
}

// Name implements Target.
func (Roomshard) Name() string { return "roomshard" }

// RoomURL implements Target.
func (t Roomshard) RoomURL(c Class, room string) (string, error) {
	u, err := url.Parse(t.Base)
	if err != nil {
		return "", fmt.Errorf("%w: base URL %q: %w", ErrBadConfig, t.Base, err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return "", fmt.Errorf("%w: base URL %q must be ws:// or wss://", ErrBadConfig, t.Base)
	}
	ns := orDefault(t.BroadcastNamespace, "broadcast")
	if c == ClassEcho {
		ns = orDefault(t.EchoNamespace, "echo")
	}
	return strings.TrimRight(t.Base, "/") + "/ns/" + url.PathEscape(ns) + "/rooms/" + url.PathEscape(room) + "/websocket", nil
}

// Frames implements Target: broadcast and hibernation both send two texts to
// each member per message.
func (Roomshard) Frames(c Class) (others, self int) {
	if c == ClassEcho {
		return 0, 1
	}
	return 2, 2
}

// The exact texts of SPEC §4.
const (
	echoPrefix      = "[Durable Object]: "
	broadcastPrefix = "[Durable Object] message: "
	fromSep         = ", from: "
	toSep           = ", to: "
	totalSep        = ". Total connections: "
	toSelf          = "the initiating client"
	toOthers        = "all clients except the initiating client"
	toAll           = "all clients"
)

// Decode implements Target. It checks the whole text, not just the payload,
// so a server that drifts from the contract shows up as decode errors.
func (Roomshard) Decode(frame []byte, out []Delivery) ([]Delivery, error) {
	if rest, ok := bytes.CutPrefix(frame, []byte(echoPrefix)); ok {
		p, n, err := ParsePayload(rest)
		if err != nil || n != len(rest) {
			return out, fmt.Errorf("%w: echo text %.80q", ErrUnexpectedFrame, frame)
		}
		return append(out, Delivery{Payload: p, Kind: KindEcho}), nil
	}
	rest, ok := bytes.CutPrefix(frame, []byte(broadcastPrefix))
	if !ok {
		return out, fmt.Errorf("%w: %.80q", ErrUnexpectedFrame, frame)
	}
	p, n, err := ParsePayload(rest)
	if err != nil || !bytes.HasPrefix(rest[n:], []byte(fromSep)) {
		return out, fmt.Errorf("%w: broadcast text %.80q", ErrUnexpectedFrame, frame)
	}
	rest = rest[n+len(fromSep):]
	kind, err := decodeAddressee(rest)
	if err != nil {
		return out, fmt.Errorf("%w: broadcast text %.80q", err, frame)
	}
	return append(out, Delivery{Payload: p, Kind: kind}), nil
}

// decodeAddressee parses "{id}, to: {who}. Total connections: {n}" or the
// hibernation form "{id}. Total connections: {n}" (reported as KindAll).
func decodeAddressee(rest []byte) (Kind, error) {
	j := len(rest)
	for j > 0 && rest[j-1] >= '0' && rest[j-1] <= '9' {
		j--
	}
	head, ok := bytes.CutSuffix(rest[:j], []byte(totalSep))
	if j == len(rest) || !ok {
		return 0, ErrUnexpectedFrame
	}
	id, who, found := bytes.Cut(head, []byte(toSep))
	if len(id) == 0 {
		return 0, ErrUnexpectedFrame
	}
	if !found {
		return KindAll, nil
	}
	switch string(who) {
	case toSelf:
		return KindSelf, nil
	case toOthers:
		return KindOthers, nil
	case toAll:
		return KindAll, nil
	}
	return 0, ErrUnexpectedFrame
}

// Plain drives a server that relays each text message verbatim to every
// member of the room (a minimal hub, a Centrifugo-like relay, ...). Frames
// may hold several newline-separated messages, as some hubs batch them.
type Plain struct {
	// URLTemplate is the room URL with "{room}" where the room name goes,
	// e.g. "ws://localhost:8000/ws?room={room}".
	URLTemplate string
	// NoSelf says the server does not relay a message back to its sender.
	// Echo scenarios need the sender to get it back (default false).
	NoSelf bool
}

// Name implements Target.
func (Plain) Name() string { return "plain" }

// RoomURL implements Target; echo rooms are ordinary rooms with one member.
func (t Plain) RoomURL(_ Class, room string) (string, error) {
	if !strings.Contains(t.URLTemplate, "{room}") {
		return "", fmt.Errorf("%w: plain URL template %q has no {room}", ErrBadConfig, t.URLTemplate)
	}
	u := strings.ReplaceAll(t.URLTemplate, "{room}", url.QueryEscape(room))
	if !strings.HasPrefix(u, "ws://") && !strings.HasPrefix(u, "wss://") {
		return "", fmt.Errorf("%w: plain URL %q must be ws:// or wss://", ErrBadConfig, u)
	}
	return u, nil
}

// Frames implements Target.
func (t Plain) Frames(c Class) (others, self int) {
	self = 1
	if t.NoSelf {
		self = 0
	}
	if c == ClassEcho {
		return 0, self
	}
	return 1, self
}

// Decode implements Target.
func (Plain) Decode(frame []byte, out []Delivery) ([]Delivery, error) {
	for len(frame) > 0 {
		var line []byte
		line, frame, _ = bytes.Cut(frame, []byte{'\n'})
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		p, n, err := ParsePayload(line)
		if err != nil || n != len(line) {
			return out, fmt.Errorf("%w: %.80q", ErrUnexpectedFrame, line)
		}
		out = append(out, Delivery{Payload: p, Kind: KindVerbatim})
	}
	return out, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
