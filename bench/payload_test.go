package bench

import (
	"errors"
	"strings"
	"testing"
)

func TestPayloadRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		p    Payload
		size int
	}{
		{"zero", Payload{}, 0},
		{"padded", Payload{Tag: 7, Seq: 42, Sent: 1_700_000_000_123_456_789}, 128},
		{"max", Payload{Tag: 1<<32 - 1, Seq: 1<<64 - 1, Sent: 1<<63 - 1}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := AppendPayload(nil, tt.p, tt.size)
			if tt.size > minPayloadSize && len(b) != tt.size {
				t.Errorf("len = %d, want %d", len(b), tt.size)
			}
			if strings.ContainsAny(string(b), ", ") {
				t.Errorf("payload %q contains a comma or space", b)
			}
			got, n, err := ParsePayload(b)
			if err != nil || got != tt.p || n != len(b) {
				t.Fatalf("ParsePayload(%q) = %+v, %d, %v", b, got, n, err)
			}
			wrapped := "[Durable Object]: " + string(b) + ", from: x"
			if got, err := FindPayload([]byte(wrapped)); err != nil || got != tt.p {
				t.Fatalf("FindPayload = %+v, %v", got, err)
			}
		})
	}
}

func TestParsePayloadRejects(t *testing.T) {
	for _, in := range []string{
		"", "rsb1.", "rsb1.1.2", "rsb1.1.2.3", "rsb1.a.2.3.", "rsb1.1..3.", "rsb2.1.2.3.",
		"rsb1.99999999999.2.3.", "rsb1.1.2.99999999999999999999.", "rsb1.1.184467440737095516150.3.",
	} {
		if _, _, err := ParsePayload([]byte(in)); !errors.Is(err, ErrBadPayload) {
			t.Errorf("ParsePayload(%q) err = %v, want ErrBadPayload", in, err)
		}
	}
	if _, err := FindPayload([]byte("hello")); !errors.Is(err, ErrBadPayload) {
		t.Errorf("FindPayload without marker: %v", err)
	}
}

func FuzzParsePayload(f *testing.F) {
	f.Add([]byte("rsb1.1.2.3.xx"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, n, err := ParsePayload(b)
		if err != nil {
			return
		}
		if n > len(b) {
			t.Fatalf("span %d > len %d", n, len(b))
		}
		if q, _, err := ParsePayload(AppendPayload(nil, p, 0)); err != nil || q != p {
			t.Fatalf("re-encode mismatch: %+v vs %+v (%v)", p, q, err)
		}
	})
}
