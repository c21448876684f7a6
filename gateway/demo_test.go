package gateway

import (
	"regexp"
	"strings"
	"testing"
)

// TestDemoPageIDs checks that the demo page keeps the element ids the
// browser test in cluster/clustertest drives.
func TestDemoPageIDs(t *testing.T) {
	t.Parallel()
	page := string(demoPage)
	for _, id := range []string{"room", "name", "join", "leave", "status", "messages", "message", "send"} {
		if !strings.Contains(page, `id="`+id+`"`) {
			t.Errorf("demo page has no element with id %q", id)
		}
	}
	if !strings.Contains(page, `"/ns/chat/rooms/"`) {
		t.Error("demo page does not connect to the chat namespace")
	}
}

// TestDemoPageSelfContained checks that the demo page loads nothing from
// anywhere else: no external scripts, styles, images or fonts.
func TestDemoPageSelfContained(t *testing.T) {
	t.Parallel()
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|@import|url\(|<script[^>]+src`)
	if m := external.FindString(string(demoPage)); m != "" {
		t.Errorf("demo page references an external resource: %q", m)
	}
}
