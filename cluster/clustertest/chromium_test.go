package clustertest_test

import (
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumNames are the executables startBrowser looks for, Debian's first.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// pageTimeout bounds each step a test takes in a tab.
const pageTimeout = 10 * time.Second

// startBrowser starts headless Chromium for the test and returns its
// chromedp context; the browser ends with the test. It skips the test when
// no Chromium is installed.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skip("chromium not found; install Debian's chromium package (apt-get install -y chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // containers run tests as root
		chromedp.DisableGPU,
		// Chromium's own background connections (updates, sync, QUIC) fail
		// on a closed network and make it refuse connections; keep them off.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// tab is one browser tab showing a gateway's demo page. Its methods fail
// the test when a step does not finish within pageTimeout.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context

	// protects problems
	mu       sync.Mutex
	problems []string // uncaught exceptions, requests to other hosts
}

// openTab opens pageURL in a new tab of browser. When the test ends it
// reports any uncaught exception in the page and any request the page made
// to a host other than pageURL's.
func openTab(t *testing.T, browser context.Context, name, pageURL string) *tab {
	t.Helper()
	u, err := url.Parse(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	tb := &tab{t: t, name: name}
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithListener(tb.watch(u.Host)))
	tb.ctx = ctx
	t.Cleanup(func() {
		cancel()
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, p := range tb.problems {
			t.Errorf("%s: %s", name, p)
		}
	})
	if err := chromedp.Do(ctx); err != nil { // the first Run opens the tab; no timeout here
		t.Fatalf("%s: opening a tab: %v", name, err)
	}
	tb.do(chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.ID("join")))
	return tb
}

// watch returns the tab's event listener. It runs in chromedp's event loop,
// so it only records.
func (tb *tab) watch(host string) func(any) {
	foreign := func(raw string) bool {
		u, err := url.Parse(raw)
		return err == nil && u.Scheme != "data" && u.Host != host
	}
	return func(ev any) {
		problem := ""
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			problem = "uncaught exception: " + ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				problem += " " + ex.Description
			}
		case *network.EventRequestWillBeSent:
			if foreign(ev.Request.URL) {
				problem = "request to another host: " + ev.Request.URL
			}
		case *network.EventWebSocketCreated:
			if foreign(ev.URL) {
				problem = "WebSocket to another host: " + ev.URL
			}
		}
		if problem != "" {
			tb.mu.Lock()
			tb.problems = append(tb.problems, problem)
			tb.mu.Unlock()
		}
	}
}

// do runs steps in the tab.
func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, pageTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("%s: %v (status: %q, lines: %q)", tb.name, err, tb.status(), tb.lines())
	}
}

// join joins room as name and waits until the socket is open.
func (tb *tab) join(room, name string) {
	tb.t.Helper()
	tb.do(
		chromedp.SetValue(chromedp.ID("room"), room),
		chromedp.SetValue(chromedp.ID("name"), name),
		chromedp.Click(chromedp.ID("join")),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="open"]`)),
	)
}

// say types text into the message field and presses Send.
func (tb *tab) say(text string) {
	tb.t.Helper()
	tb.do(
		chromedp.WaitEnabled(chromedp.ID("message")),
		chromedp.SendKeys(chromedp.ID("message"), text),
		chromedp.Click(chromedp.ID("send")),
	)
}

// value reads the value of the input with the given id.
func (tb *tab) value(id string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, pageTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID(id)))
	if err != nil {
		tb.t.Fatalf("%s: reading #%s: %v", tb.name, id, err)
	}
	return v
}

// expect waits until the page shows len(want) received lines and checks
// that they are exactly the lines want describes: each entry is a regular
// expression that must match its whole line. It returns the lines.
func (tb *tab) expect(want ...string) []string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, pageTimeout+time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.PollFunction[[]string](
		`(n) => {
			const lines = Array.from(document.querySelectorAll("#messages li"), (li) => li.textContent);
			return lines.length >= n ? lines : null;
		}`,
		chromedp.WithPollingArgs(len(want)),
		chromedp.WithPollingInterval(25*time.Millisecond),
		chromedp.WithPollingTimeout(pageTimeout),
	))
	if err != nil {
		tb.t.Fatalf("%s: waiting for %d lines: %v\nstatus: %q\nlines: %q\nwant: %q", tb.name, len(want), err, tb.status(), tb.lines(), want)
	}
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = regexp.MustCompile("^(?:" + want[i] + ")$").MatchString(got[i])
	}
	if !ok {
		tb.t.Fatalf("%s: lines:\n  %s\nwant:\n  %s", tb.name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	return got
}

// lines returns the received lines the page shows, for diagnostics.
func (tb *tab) lines() []string {
	ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#messages li"), (li) => li.textContent)`))
	if err != nil {
		return []string{fmt.Sprintf("(unreadable: %v)", err)}
	}
	return got
}

// status returns the page's status line, for diagnostics.
func (tb *tab) status() string {
	ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(() => { const s = document.getElementById("status"); return s ? s.dataset.state + ": " + s.textContent : "(no #status)"; })()`))
	if err != nil {
		return fmt.Sprintf("(unreadable: %v)", err)
	}
	return s
}
