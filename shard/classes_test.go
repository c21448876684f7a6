package shard_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/roomshard/roomshard/shard"
)

// Test classes. Each is a fixture builder for one behaviour under test.

// counterClass counts messages in a plain field: racy unless the runtime
// runs one event at a time. "get" replies with the count.
func counterClass() shard.Class {
	return shard.Class{Name: "count", New: func(*shard.State) shard.Room { return &counterRoom{} }}
}

type counterRoom struct {
	shard.BaseRoom
	n int
}

func (c *counterRoom) Message(_ context.Context, ws *shard.WebSocket, msg shard.Message) error {
	if msg.Text() == "get" {
		return ws.SendText(strconv.Itoa(c.n))
	}
	c.n++
	return nil
}

// faultyClass panics on "boom", fails on "err", else replies "ok".
func faultyClass() shard.Class {
	return shard.Class{Name: "faulty", New: func(*shard.State) shard.Room { return faultyRoom{} }}
}

type faultyRoom struct{ shard.BaseRoom }

func (faultyRoom) Message(_ context.Context, ws *shard.WebSocket, msg shard.Message) error {
	switch msg.Text() {
	case "boom":
		_ = ws.SendText("before panic")
		panic("boom")
	case "err":
		return errors.New("handler failed")
	case "kick":
		return shard.Refuse(4000, "kicked")
	}
	return ws.SendText("ok")
}

// closeRecord is one close or error handler call.
type closeRecord struct {
	id       string
	code     int
	wasClean bool
	err      string
}

// recorderClass reports close and error handler calls on events; its
// connect hook tags a socket with its identity, refuses identity "bad"
// with 1008 and returns too many tags for identity "many". Message "tag:X"
// broadcasts to tag X; "others" broadcasts to all but the sender.
func recorderClass(events chan<- closeRecord) shard.Class {
	return shard.Class{Name: "recorder", New: func(s *shard.State) shard.Room { return &recorderRoom{s: s, events: events} }}
}

type recorderRoom struct {
	s      *shard.State
	events chan<- closeRecord
}

func (r *recorderRoom) Connect(_ context.Context, ws *shard.WebSocket) ([]string, error) {
	switch id := ws.Identity(); id {
	case "":
		return nil, nil
	case "bad":
		return nil, shard.Refuse(shard.ClosePolicy, "go away")
	case "many":
		return make([]string, shard.MaxTags+1), nil
	default:
		return []string{id}, nil
	}
}

func (r *recorderRoom) Message(_ context.Context, ws *shard.WebSocket, msg shard.Message) error {
	text := msg.Text()
	switch {
	case len(text) > 4 && text[:4] == "tag:":
		return r.s.BroadcastTag(text[4:], shard.Text("to "+text[4:]))
	case text == "others":
		return r.s.BroadcastExcept(shard.Text("others"), ws)
	case text == "count":
		return ws.SendText(fmt.Sprint(r.s.ConnectionCount(), len(r.s.Sockets(""))))
	}
	return nil
}

func (r *recorderRoom) Close(_ context.Context, ws *shard.WebSocket, code int, _ string, wasClean bool) error {
	r.events <- closeRecord{id: ws.ID(), code: code, wasClean: wasClean}
	return nil
}

func (r *recorderRoom) Error(_ context.Context, ws *shard.WebSocket, err error) error {
	r.events <- closeRecord{id: ws.ID(), err: err.Error()}
	return nil
}

func (r *recorderRoom) Alarm(context.Context) error { return nil }
