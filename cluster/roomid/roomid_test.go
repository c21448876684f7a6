package roomid_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/roomshard/roomshard/cluster/roomid"
)

func TestFromName(t *testing.T) {
	// Vectors computed outside Go:
	//   printf 'roomshard/v1\0broadcast\0foo' | sha256sum
	//   printf 'roomshard/v1\0chat\0foo' | sha256sum
	for _, tc := range []struct{ ns, name, want string }{
		{"broadcast", "foo", "567c071ad4a5af8d41f781394f8c8b0bcbe4c1f82182cbd79ea3b019236947ef"},
		{"chat", "foo", "c938ccca4e91331005fa8b73ab6f843caad3aef3aee8bbc5f070520c6baea7f2"},
	} {
		if got := roomid.FromName(tc.ns, tc.name); got != tc.want {
			t.Errorf("FromName(%q, %q) = %s, want %s", tc.ns, tc.name, got, tc.want)
		}
	}
	if roomid.FromName("echo", "foo") == roomid.FromName("broadcast", "foo") {
		t.Error("the same name in two namespaces has one id")
	}
	if roomid.FromName("chat", "a") == roomid.FromName("chat", "b") {
		t.Error("two names have one id")
	}
	if err := roomid.CheckID(roomid.FromName("chat", "é")); err != nil {
		t.Errorf("FromName gives an id CheckID refuses: %v", err)
	}
}

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id, err := roomid.New()
		if err != nil {
			t.Fatal(err)
		}
		if err := roomid.CheckID(id); err != nil {
			t.Fatalf("New() = %q: %v", id, err)
		}
		if seen[id] {
			t.Fatalf("New repeated %s", id)
		}
		seen[id] = true
	}
}

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		desc string
		name string
		ok   bool
	}{
		{"empty", "", false},
		{"one byte", "a", true},
		{"256 bytes", strings.Repeat("a", 256), true},
		{"257 bytes", strings.Repeat("a", 257), false},
		{"256 bytes ending in a 2-byte rune", strings.Repeat("a", 254) + "é", true},
		{"257 bytes ending in a 2-byte rune", strings.Repeat("a", 255) + "é", false},
		{"invalid UTF-8", "bad\xffname", false},
		{"truncated rune", "\xc3", false},
		{"spaces and slashes", "a room/with spaces", true},
		{"emoji", "🎉", true},
		{"NUL byte", "a\x00b", true},
	} {
		err := roomid.CheckName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("%s: CheckName = %v", tc.desc, err)
		}
		if err != nil && !errors.Is(err, roomid.ErrBadName) {
			t.Errorf("%s: %v is not ErrBadName", tc.desc, err)
		}
	}
}

func TestCheckID(t *testing.T) {
	good := roomid.FromName("broadcast", "foo")
	for _, tc := range []struct {
		desc string
		id   string
		ok   bool
	}{
		{"named id", good, true},
		{"all zeros", strings.Repeat("0", 64), true},
		{"uppercase hex", strings.ToUpper(good), false},
		{"one uppercase digit", "A" + good[1:], false},
		{"63 characters", good[:63], false},
		{"65 characters", good + "0", false},
		{"empty", "", false},
		{"non-hex letter", "g" + good[1:], false},
		{"a room name", "lobby", false},
		{"64 non-ASCII bytes", strings.Repeat("é", 32), false},
	} {
		err := roomid.CheckID(tc.id)
		if (err == nil) != tc.ok {
			t.Errorf("%s: CheckID(%q) = %v", tc.desc, tc.id, err)
		}
		if err != nil && !errors.Is(err, roomid.ErrBadID) {
			t.Errorf("%s: %v is not ErrBadID", tc.desc, err)
		}
	}
}

func FuzzCheckName(f *testing.F) {
	f.Add("lobby")
	f.Add("\xff")
	f.Fuzz(func(t *testing.T, name string) {
		if roomid.CheckName(name) == nil {
			if roomid.CheckID(roomid.FromName("chat", name)) != nil {
				t.Fatalf("valid name %q gave a bad id", name)
			}
		}
	})
}
