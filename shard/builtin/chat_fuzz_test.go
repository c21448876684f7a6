package builtin_test

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/roomshard/roomshard/shard"
	"github.com/roomshard/roomshard/shard/builtin"
	"github.com/roomshard/roomshard/shard/shardtest"
	"github.com/roomshard/roomshard/shard/storage/memory"
)

// FuzzChatProtocol feeds arbitrary client frames to a chat room, from a
// socket that has or has not joined, and checks the room survives them:
// another member's next message is still broadcast as "bob: ok | 1".
func FuzzChatProtocol(f *testing.F) {
	for _, s := range []string{
		`{"type":"join","name":"alice","timestamp":1}`,
		`{"type":"message","message":"hi","timestamp":"12:00"}`,
		`{"type":"chat","message":"x","timestamp":1.5e3}`,
		`{"type":"join","name":null}`,
		`{"type":"message","message":{"nested":[1,2]}}`,
		`{"type":"join","name":"` + strings.Repeat("x", 100) + `"}`,
		`{not json`, ``, `null`, `[]`, `"join"`,
		`{"type":"message","timestamp":` + strings.Repeat("9", 400) + `}`,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	store := memory.New()
	f.Cleanup(func() { store.Close() })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := shardtest.NewHost(f, shard.HostConfig{Storage: store, Logger: quiet},
		builtin.NewChat(builtin.ChatConfig{Rate: 1e9, Burst: 1 << 20}))
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, frame []byte, joined bool) {
		c, g := shardtest.Open(t, h, "chat", fmt.Sprint("fuzz-", n.Add(1)), "g1")
		shardtest.Connect(t, c, g, "a", "b")
		shardtest.Handle(t, c, as("b", join("bob", "1")))
		if joined {
			shardtest.Handle(t, c, as("a", join("alice", "1")))
		}
		shardtest.Handle(t, c, shardtest.Message("a", string(frame)))
		shardtest.Handle(t, c, say("b", "ok", "1"))
		shardtest.Eventually(t, func() error {
			for _, fr := range g.Take() {
				if string(fr.GetDeliver().GetData()) == "bob: ok | 1" {
					return nil
				}
			}
			return fmt.Errorf("bob's message was not broadcast after %q", frame)
		})
		shardtest.Handle(t, c, shardtest.ClosedFrame("a", 1000, ""), shardtest.ClosedFrame("b", 1000, ""))
	})
}
