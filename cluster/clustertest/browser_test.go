package clustertest_test

import (
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/roomshard/roomshard/cluster/clustertest"
)

// TestBrowserChat drives the gateways' demo page in headless Chromium: two
// tabs, each served by its own gateway, chat in one room of the chat
// namespace, and a reloaded tab gets the room's history, oldest first,
// before new lines. It skips when Chromium is not installed.
func TestBrowserChat(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process browser test; skipped with -short")
	}
	browser := startBrowser(t)
	c := clustertest.StartCluster(t, bins, clustertest.Options{Shards: 2, Gateways: 2, ShardArgs: []string{"--storage", "memory"}})
	waitForMembers(t, c, 4)

	alice := openTab(t, browser, "alice", "http://"+c.Gateways[0].HTTP+"/")
	bob := openTab(t, browser, "bob", "http://"+c.Gateways[1].HTTP+"/")

	const (
		aliceJoined = `alice joined the room \| \d+`
		bobJoined   = `bob joined the room \| \d+`
		hello       = `alice: hello from alice \| \d+`
		reply       = `bob: hi alice, bob here \| \d+`
		back        = `alice: back again \| \d+`
	)
	alice.join("lobby", "alice")
	alice.expect(aliceJoined)
	bob.join("lobby", "bob")
	bob.expect(bobJoined) // join lines are not history
	alice.expect(aliceJoined, bobJoined)

	alice.say("hello from alice")
	bob.expect(bobJoined, hello)
	bob.say("hi alice, bob here")
	seen := alice.expect(aliceJoined, bobJoined, hello, reply)
	bob.expect(bobJoined, hello, reply)

	// After a reload the page remembers the room and the name, and the room
	// replays the exact texts it broadcast, oldest first, before new lines.
	alice.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("join")))
	if room, name := alice.value("room"), alice.value("name"); room != "lobby" || name != "alice" {
		t.Errorf("after reload: room %q, name %q; want lobby, alice", room, name)
	}
	alice.join("lobby", "alice")
	history := []string{regexp.QuoteMeta(seen[2]), regexp.QuoteMeta(seen[3])}
	alice.expect(append(history, aliceJoined)...)
	bob.expect(bobJoined, hello, reply, aliceJoined)

	alice.say("back again")
	alice.expect(append(history, aliceJoined, back)...)
	bob.expect(bobJoined, hello, reply, aliceJoined, back)

	// Leaving shows the close code and offers to rejoin.
	bob.do(
		chromedp.Click(chromedp.ID("leave")),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="closed"]`)),
		chromedp.WaitEnabled(chromedp.ID("join")),
	)
	if got := bob.status(); !regexp.MustCompile(`^closed: .*: 1000\b`).MatchString(got) {
		t.Errorf("bob's status after leaving = %q", got)
	}
}
