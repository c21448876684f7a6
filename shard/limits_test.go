package shard_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/roomshard/roomshard/shard"
	st "github.com/roomshard/roomshard/shard/shardtest"
)

// limitsClass runs the API's limit checks inside a handler and reports
// each result to the socket, in order.
func limitsClass(results chan<- string) shard.Class {
	return shard.Class{Name: "limits", New: func(s *shard.State) shard.Room { return &limitsRoom{s: s, results: results} }}
}

type limitsRoom struct {
	shard.BaseRoom
	s       *shard.State
	results chan<- string
}

func (r *limitsRoom) Message(_ context.Context, ws *shard.WebSocket, _ shard.Message) error {
	report := func(err error, want error) {
		if errors.Is(err, want) {
			r.results <- "ok"
		} else {
			r.results <- "got " + errString(err)
		}
	}
	report(ws.SetAttachment(make([]byte, shard.MaxAttachmentBytes+1)), shard.ErrAttachmentTooLarge)
	report(ws.SetAttachment(make([]byte, shard.MaxAttachmentBytes)), nil)
	report(r.s.SetAutoResponse(strings.Repeat("p", shard.MaxAutoResponseBytes+1), "x"), shard.ErrAutoResponseTooLarge)
	report(r.s.SetAutoResponse("x", strings.Repeat("p", shard.MaxAutoResponseBytes+1)), shard.ErrAutoResponseTooLarge)
	report(r.s.SetAutoResponse("ping", "pong"), nil)
	req, resp := r.s.AutoResponse()
	if req != "ping" || resp != "pong" {
		r.results <- "AutoResponse = " + req + " " + resp
	}
	report(ws.Close(1006, ""), shard.ErrBadCloseCode)
	report(ws.Close(1000, strings.Repeat("r", 124)), shard.ErrBadCloseCode)
	report(r.s.BroadcastTag("", shard.Text("x")), shard.ErrTagTooLong)
	report(ws.Close(4000, "done"), nil)
	report(ws.SendText("after close"), shard.ErrSocketClosed)
	return nil
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

func TestLimits(t *testing.T) {
	results := make(chan string, 32)
	h := newHost(t, limitsClass(results))
	c, g := st.Open(t, h, "limits", "r", "g1")
	st.Connect(t, c, g, "a")
	st.Handle(t, c, st.Message("a", "go"))
	f := g.WaitFrames(t, 3)
	if a := f[0].GetAttachment(); len(a.GetAttachment()) != shard.MaxAttachmentBytes {
		t.Errorf("frame 0 = %s, want the 16 KiB attachment", st.Dump(f[:1]))
	}
	if ar := f[1].GetAutoResponse(); ar.GetRequest() != "ping" {
		t.Errorf("frame 1 = %s, want the auto-response", st.Dump(f[1:2]))
	}
	st.WantClose(t, f[2], "a", 4000, "done")
	for i := range 10 {
		if got := <-results; got != "ok" {
			t.Errorf("check %d: %s", i, got)
		}
	}
	select {
	case got := <-results:
		t.Errorf("extra result %s", got)
	default:
	}
}
