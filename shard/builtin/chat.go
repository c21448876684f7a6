package builtin

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/roomshard/roomshard/shard"
)

// ChatName is the chat class's name.
const ChatName = "chat"

// Chat's error frames: JSON objects sent to the one socket at fault.
const (
	ChatErrRateLimited   = `{"error":"rate limited"}`
	ChatErrMalformed     = `{"error":"malformed message"}`
	ChatErrUnknownType   = `{"error":"unknown message type"}`
	ChatErrNameRequired  = `{"error":"name required"}`
	ChatErrNameTooLong   = `{"error":"name too long"}`
	ChatErrAlreadyJoined = `{"error":"already joined"}`
	ChatErrTooLong       = `{"error":"message too long"}`
)

// Chat's close reasons.
const (
	chatReasonNoName      = "Session without name"
	chatReasonRateLimited = "rate limited"
)

// Chat limits on what a client sends.
const (
	chatMaxName    = 64       // bytes
	chatMaxMessage = 4 << 10  // bytes of message text
	chatMaxFrame   = 16 << 10 // bytes of a whole frame
)

// ChatConfig tunes the chat class. Zero fields take the defaults noted.
type ChatConfig struct {
	// Rate is how many messages per second a socket may send. Default 5.
	Rate float64
	// Burst is how many messages a socket may send at once. Default 10.
	Burst int
	// MaxRejected is how many consecutive rate-limited messages close the
	// socket with 1008. Default 20.
	MaxRejected int
	// History is how many messages the room keeps. Default 1000.
	History int
	// Replay is how many of them a joining socket gets. Default 100.
	Replay int
	// PruneAfter is how long after history first exceeds History the alarm
	// that trims it fires, so one prune covers a burst. Default 1s.
	PruneAfter time.Duration
}

func (c *ChatConfig) ensureDefaults() {
	if c.Rate <= 0 {
		c.Rate = 5
	}
	if c.Burst <= 0 {
		c.Burst = 10
	}
	if c.MaxRejected <= 0 {
		c.MaxRejected = 20
	}
	if c.History <= 0 {
		c.History = 1000
	}
	if c.Replay <= 0 {
		c.Replay = 100
	}
	if c.PruneAfter <= 0 {
		c.PruneAfter = time.Second
	}
}

// Chat is the seed's chat room with the default ChatConfig.
func Chat() shard.Class { return NewChat(ChatConfig{}) }

// NewChat is the chat class with cfg. Its sockets are hibernatable: a
// socket's name is its attachment, history is in storage, so the room
// object keeps nothing that matters.
//
// Protocol (SPEC §4), one JSON object per text message:
//
//	{"type":"join","name":"alice","timestamp":T}
//	    first; replays the last Replay stored lines to the socket, oldest
//	    first, then broadcasts "alice joined the room | T" (not stored).
//	{"type":"message","message":"hi","timestamp":T}   ("chat" is a synonym)
//	    stores "alice: hi | T" and broadcasts it once stored.
//
// T is echoed as the client wrote it: a number keeps its digits, a string
// its contents (without quotes), any other JSON value its text; without a
// timestamp (or null) the server's Unix time in milliseconds is used.
// Broadcasts reach the sockets that have joined.
//
// A message before join closes the socket with 1011 "Session without
// name". Faults get an error frame (the ChatErr constants): malformed JSON
// or fields of the wrong type, an unknown type, a missing or longer than
// 64-byte name, a second join, a message text over 4 KiB or a frame over
// 16 KiB. Each socket may send Rate messages per second with bursts of
// Burst; each message over that gets ChatErrRateLimited, and MaxRejected in
// a row close the socket with 1008 "rate limited". When history exceeds
// History lines, an alarm PruneAfter later deletes the oldest beyond it.
func NewChat(cfg ChatConfig) shard.Class {
	cfg.ensureDefaults()
	return shard.Class{Name: ChatName, Hibernatable: true, New: func(s *shard.State) shard.Room {
		return &chatRoom{cfg: cfg, state: s, st: s.Storage(), names: map[string]string{}, buckets: map[string]*bucket{}}
	}}
}

type chatRoom struct {
	cfg   ChatConfig
	state *shard.State
	st    *shard.Storage
	// names caches each socket's name from its attachment ("" before join).
	names   map[string]string
	buckets map[string]*bucket
	// hist is the history's sequence range, loaded from storage on first use.
	hist chatHistory
}

// chatIn is a client message.
type chatIn struct {
	Type      string          `json:"type"`
	Name      *string         `json:"name"`
	Message   *string         `json:"message"`
	Timestamp json.RawMessage `json:"timestamp"`
}

// chatSession is a joined socket's attachment.
type chatSession struct {
	Name string `json:"name"`
}

func (c *chatRoom) Message(ctx context.Context, ws *shard.WebSocket, msg shard.Message) error {
	if !c.admit(ws) {
		return nil
	}
	if len(msg.Data) > chatMaxFrame {
		return ws.SendText(ChatErrTooLong)
	}
	var in chatIn
	if err := json.Unmarshal(msg.Data, &in); err != nil {
		return ws.SendText(ChatErrMalformed)
	}
	switch in.Type {
	case "join":
		return c.join(ctx, ws, in)
	case "message", "chat":
		return c.say(ctx, ws, in)
	}
	return ws.SendText(ChatErrUnknownType)
}

// admit applies the socket's rate limit: it reports whether the message
// may be handled, answering or closing the socket when not.
func (c *chatRoom) admit(ws *shard.WebSocket) bool {
	b := c.buckets[ws.ID()]
	if b == nil {
		b = newBucket(c.cfg.Rate, c.cfg.Burst)
		c.buckets[ws.ID()] = b
	}
	if b.take(time.Now()) {
		return true
	}
	if b.rejected >= c.cfg.MaxRejected {
		c.forget(ws) // no close handler runs for a socket the room closes
		_ = ws.Close(shard.ClosePolicy, chatReasonRateLimited)
		return false
	}
	_ = ws.SendText(ChatErrRateLimited)
	return false
}

func (c *chatRoom) join(ctx context.Context, ws *shard.WebSocket, in chatIn) error {
	switch {
	case c.nameOf(ws) != "":
		return ws.SendText(ChatErrAlreadyJoined)
	case in.Name == nil || *in.Name == "":
		return ws.SendText(ChatErrNameRequired)
	case len(*in.Name) > chatMaxName:
		return ws.SendText(ChatErrNameTooLong)
	}
	name := *in.Name
	lines, err := c.hist.last(ctx, c.st, c.cfg.Replay)
	if err != nil {
		return err
	}
	for _, line := range lines {
		if err := ws.Send(shard.Text(line)); err != nil {
			return err
		}
	}
	att, _ := json.Marshal(chatSession{Name: name})
	if err := ws.SetAttachment(att); err != nil {
		return err
	}
	c.names[ws.ID()] = name
	return c.broadcast(fmt.Sprintf("%s joined the room | %s", name, stampText(in.Timestamp)))
}

func (c *chatRoom) say(ctx context.Context, ws *shard.WebSocket, in chatIn) error {
	name := c.nameOf(ws)
	if name == "" {
		c.forget(ws)
		return ws.Close(shard.CloseInternalError, chatReasonNoName)
	}
	if in.Message == nil {
		return ws.SendText(ChatErrMalformed)
	}
	if len(*in.Message) > chatMaxMessage {
		return ws.SendText(ChatErrTooLong)
	}
	line := fmt.Sprintf("%s: %s | %s", name, *in.Message, stampText(in.Timestamp))
	n, err := c.hist.add(ctx, c.st, line)
	if err != nil {
		return err
	}
	if n > c.cfg.History {
		if err := c.schedulePrune(ctx); err != nil {
			return err
		}
	}
	// Sent now, released by the runtime only once the line is durable.
	return c.broadcast(line)
}

// schedulePrune sets the pruning alarm unless an alarm is already set.
func (c *chatRoom) schedulePrune(ctx context.Context) error {
	if c.hist.pruneSet {
		return nil
	}
	if _, set, err := c.st.GetAlarm(ctx); err != nil || set {
		c.hist.pruneSet = set
		return err
	}
	c.hist.pruneSet = true
	return c.st.SetAlarm(ctx, time.Now().Add(c.cfg.PruneAfter))
}

// Alarm trims history to the last History lines.
func (c *chatRoom) Alarm(ctx context.Context) error {
	c.hist.pruneSet = false
	return c.hist.prune(ctx, c.st, c.cfg.History)
}

func (c *chatRoom) Close(_ context.Context, ws *shard.WebSocket, _ int, _ string, _ bool) error {
	c.forget(ws)
	return nil
}

func (c *chatRoom) Error(_ context.Context, ws *shard.WebSocket, _ error) error {
	c.forget(ws)
	return nil
}

func (c *chatRoom) forget(ws *shard.WebSocket) {
	delete(c.names, ws.ID())
	delete(c.buckets, ws.ID())
}

// nameOf returns the socket's name, "" before it joined.
func (c *chatRoom) nameOf(ws *shard.WebSocket) string {
	if name, ok := c.names[ws.ID()]; ok {
		return name
	}
	var s chatSession
	if att := ws.Attachment(); len(att) > 0 {
		_ = json.Unmarshal(att, &s) // not ours: treat as not joined
	}
	c.names[ws.ID()] = s.Name
	return s.Name
}

// broadcast sends line to every socket that joined: in one frame per
// gateway when every socket has joined, else socket by socket.
func (c *chatRoom) broadcast(line string) error {
	sockets := c.state.Sockets("")
	joined := 0
	for _, ws := range sockets {
		if c.nameOf(ws) != "" {
			joined++
		}
	}
	if joined == len(sockets) {
		return c.state.Broadcast(shard.Text(line))
	}
	for _, ws := range sockets {
		if c.nameOf(ws) != "" {
			if err := ws.Send(shard.Text(line)); err != nil {
				return err
			}
		}
	}
	return nil
}

// stampText is how a client's timestamp is echoed.
func stampText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return strconv.FormatInt(time.Now().UnixMilli(), 10)
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}
