package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/roomshard/roomshard/shard/storage/pgtest"
)

// TestSessionDefaults: connections carry the idle-in-transaction timeout
// unless the URL sets its own.
func TestSessionDefaults(t *testing.T) {
	url := pgtest.Start(t)
	for _, tc := range []struct {
		name, url, want string
	}{
		{"default", url, "1s"},
		{"URL wins", url + "&idle_in_transaction_session_timeout=0", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := Open(ctx, Config{URL: tc.url})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var got string
			if err := s.pool.QueryRow(ctx, "SHOW idle_in_transaction_session_timeout").Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("idle_in_transaction_session_timeout = %q, want %q", got, tc.want)
			}
		})
	}
}
