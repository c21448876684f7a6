package builtin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/roomid"
	"github.com/roomshard/roomshard/shard"
	"github.com/roomshard/roomshard/shard/builtin"
	"github.com/roomshard/roomshard/shard/shardtest"
	"github.com/roomshard/roomshard/shard/storage"
	"github.com/roomshard/roomshard/shard/storage/memory"
)

// chatHost runs chat (with cfg) on a memory store the test can read.
func chatHost(t *testing.T, cfg builtin.ChatConfig) (*shard.Host, storage.Backend) {
	t.Helper()
	store := memory.New()
	t.Cleanup(func() { store.Close() })
	return shardtest.NewHost(t, shard.HostConfig{Storage: store}, builtin.NewChat(cfg)), store
}

func join(name, stamp string) *roomshardv1.GatewayFrame {
	return shardtest.Message("", fmt.Sprintf(`{"type":"join","name":%q,"timestamp":%s}`, name, stamp))
}

// as sets the socket id of a message frame.
func as(id string, f *roomshardv1.GatewayFrame) *roomshardv1.GatewayFrame {
	f.GetMessage().SocketId = id
	return f
}

func say(id, text, stamp string) *roomshardv1.GatewayFrame {
	return shardtest.Message(id, fmt.Sprintf(`{"type":"message","message":%q,"timestamp":%s}`, text, stamp))
}

// texts waits for n Deliver frames on g (skipping other frames) and
// returns their texts.
func texts(t *testing.T, g *shardtest.Gateway, n int) []string {
	t.Helper()
	var got []string
	shardtest.Eventually(t, func() error {
		for _, f := range g.Take() {
			if d := f.GetDeliver(); d != nil {
				got = append(got, string(d.GetData()))
			}
		}
		if len(got) < n {
			return fmt.Errorf("%d texts, want %d: %q", len(got), n, got)
		}
		return nil
	})
	if len(got) > n {
		t.Fatalf("%d texts, want %d: %q", len(got), n, got)
	}
	return got
}

func wantTexts(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d texts %q, want %q", len(got), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("text %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestChatJoinMessageAndReplay(t *testing.T) {
	h, _ := chatHost(t, builtin.ChatConfig{Rate: 1e6, Burst: 1000})
	c, g := shardtest.Open(t, h, "chat", "lobby", "g1")
	shardtest.Connect(t, c, g, "a")

	shardtest.Handle(t, c, as("a", join("alice", "1700000000000")))
	wantTexts(t, texts(t, g, 1), "alice joined the room | 1700000000000")

	// 150 lines; type "chat" is a synonym of "message"; T is echoed as written.
	want := make([]string, 0, 150)
	for i := range 150 {
		typ := "message"
		if i%2 == 1 {
			typ = "chat"
		}
		stamp := fmt.Sprint(1700000000000 + i)
		shardtest.Handle(t, c, shardtest.Message("a", fmt.Sprintf(`{"type":%q,"message":"m%d","timestamp":%s}`, typ, i, stamp)))
		want = append(want, fmt.Sprintf("alice: m%d | %s", i, stamp))
	}
	wantTexts(t, texts(t, g, 150), want...)

	// bob, on another gateway, gets the last 100 lines oldest first, then
	// the join line, which alice gets too; a string timestamp echoes its contents.
	c2, g2 := shardtest.Open(t, h, "chat", "lobby", "g2")
	shardtest.Connect(t, c2, g2, "b")
	shardtest.Handle(t, c2, as("b", join("bob", `"12:00"`)))
	wantTexts(t, texts(t, g2, 101), append(want[50:], "bob joined the room | 12:00")...)
	wantTexts(t, texts(t, g, 1), "bob joined the room | 12:00")

	// Numbers keep their digits exactly; a missing timestamp is the server's ms.
	shardtest.Handle(t, c2, say("b", "x", "1.50e3"))
	wantTexts(t, texts(t, g2, 1), "bob: x | 1.50e3")
	g.Take()
	before := time.Now().UnixMilli()
	shardtest.Handle(t, c2, shardtest.Message("b", `{"type":"message","message":"now"}`))
	got := texts(t, g2, 1)[0]
	var ms int64
	if _, err := fmt.Sscanf(got, "bob: now | %d", &ms); err != nil || ms < before || ms > time.Now().UnixMilli() {
		t.Errorf("no timestamp: %q, want the server's ms", got)
	}
}

func TestChatMessageBeforeJoinCloses1011(t *testing.T) {
	h, _ := chatHost(t, builtin.ChatConfig{})
	c, g := shardtest.Open(t, h, "chat", "r", "g1")
	shardtest.Connect(t, c, g, "a")
	shardtest.Handle(t, c, say("a", "hi", "1"))
	shardtest.WantClose(t, g.WaitFrames(t, 1)[0], "a", 1011, "Session without name")
}

func TestChatBadInput(t *testing.T) {
	h, _ := chatHost(t, builtin.ChatConfig{})
	c, g := shardtest.Open(t, h, "chat", "r", "g1")
	shardtest.Connect(t, c, g, "a")
	for _, tc := range []struct{ in, want string }{
		{`{not json`, builtin.ChatErrMalformed},
		{`{"type":"join","name":5}`, builtin.ChatErrMalformed},
		{`{"type":"dance"}`, builtin.ChatErrUnknownType},
		{`{"type":"join"}`, builtin.ChatErrNameRequired},
		{fmt.Sprintf(`{"type":"join","name":%q}`, strings.Repeat("x", 65)), builtin.ChatErrNameTooLong},
	} {
		shardtest.Handle(t, c, shardtest.Message("a", tc.in))
		wantTexts(t, texts(t, g, 1), tc.want)
	}
	shardtest.Handle(t, c, as("a", join("alice", "1")))
	texts(t, g, 1)
	shardtest.Handle(t, c, as("a", join("alice", "2")))
	wantTexts(t, texts(t, g, 1), builtin.ChatErrAlreadyJoined)
	shardtest.Handle(t, c, shardtest.Message("a", `{"type":"message","timestamp":1}`))
	wantTexts(t, texts(t, g, 1), builtin.ChatErrMalformed)
}

// TestChatRateLimit: burst 10 pass; each later message gets the error
// frame; the 20th refused in a row closes the socket with 1008.
func TestChatRateLimit(t *testing.T) {
	h, _ := chatHost(t, builtin.ChatConfig{Rate: 0.001, Burst: 10, MaxRejected: 20})
	c, g := shardtest.Open(t, h, "chat", "r", "g1")
	shardtest.Connect(t, c, g, "a")
	shardtest.Handle(t, c, as("a", join("alice", "0")))
	texts(t, g, 1)
	for i := 1; i <= 9; i++ {
		shardtest.Handle(t, c, say("a", "ok", fmt.Sprint(i)))
	}
	if got := texts(t, g, 9); got[8] != "alice: ok | 9" {
		t.Fatalf("within the burst: %q", got)
	}
	for range 20 {
		shardtest.Handle(t, c, say("a", "spam", "0"))
	}
	var refused int
	shardtest.Eventually(t, func() error {
		for _, f := range g.Take() {
			switch {
			case string(f.GetDeliver().GetData()) == builtin.ChatErrRateLimited:
				refused++
			case f.GetClose() != nil:
				shardtest.WantClose(t, f, "a", 1008, "rate limited")
				return nil
			default:
				t.Fatalf("unexpected frame %s", shardtest.Dump([]*roomshardv1.ShardFrame{f}))
			}
		}
		return fmt.Errorf("not closed yet after %d refusals", refused)
	})
	if refused != 19 {
		t.Errorf("%d error frames before the close, want 19", refused)
	}
}

// TestChatPrunesHistory: past History lines, the alarm trims the oldest.
func TestChatPrunesHistory(t *testing.T) {
	h, store := chatHost(t, builtin.ChatConfig{Rate: 1e6, Burst: 1000, History: 5, PruneAfter: time.Millisecond})
	c, g := shardtest.Open(t, h, "chat", "pruned", "g1")
	shardtest.Connect(t, c, g, "a")
	shardtest.Handle(t, c, as("a", join("alice", "0")))
	for i := range 8 {
		shardtest.Handle(t, c, say("a", fmt.Sprint(i), "0"))
	}
	texts(t, g, 9)
	id := roomid.FromName("chat", "pruned")
	shardtest.Eventually(t, func() error {
		kvs, err := store.List(context.Background(), id, storage.ListOptions{Prefix: "msg/"})
		if err != nil {
			return err
		}
		if len(kvs) != 5 || string(kvs[0].Value) != "alice: 3 | 0" {
			return fmt.Errorf("history = %v, want the last 5 lines", kvs)
		}
		if _, set, _ := store.GetAlarm(context.Background(), id); set {
			return fmt.Errorf("alarm still set")
		}
		return nil
	})
}

// TestChatHistorySurvivesRestart: a new host on the same store replays.
func TestChatHistorySurvivesRestart(t *testing.T) {
	store := memory.New()
	defer store.Close()
	h1 := shardtest.NewHost(t, shard.HostConfig{Storage: store}, builtin.All()...)
	c, g := shardtest.Open(t, h1, "chat", "r", "g1")
	shardtest.Connect(t, c, g, "a")
	shardtest.Handle(t, c, as("a", join("alice", "1")), say("a", "before restart", "2"))
	texts(t, g, 2)
	closeHost(t, h1)

	h2 := shardtest.NewHost(t, shard.HostConfig{Storage: store}, builtin.All()...)
	c2, g2 := shardtest.Open(t, h2, "chat", "r", "g1")
	shardtest.Connect(t, c2, g2, "b")
	shardtest.Handle(t, c2, as("b", join("bob", "3")))
	wantTexts(t, texts(t, g2, 2), "alice: before restart | 2", "bob joined the room | 3")
}

func closeHost(t *testing.T, h *shard.Host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
