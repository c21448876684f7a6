package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/roomshard/roomshard/shard/storage/pgtest"
)

// TestSessionDefaults: connections carry the idle-in-transaction timeout
// and the shard's name unless the URL sets its own.
func TestSessionDefaults(t *testing.T) {
	url := pgtest.Start(t)
	for _, tc := range []struct {
		name, url, timeout, app string
	}{
		{"default", url, "1s", "roomshard shard s7"},
		{"URL wins", url + "&idle_in_transaction_session_timeout=0&application_name=mine", "0", "mine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := Open(ctx, Config{URL: tc.url, Node: "s7"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var timeout, app string
			if err := s.pool.QueryRow(ctx, "SELECT current_setting('idle_in_transaction_session_timeout'), current_setting('application_name')").Scan(&timeout, &app); err != nil {
				t.Fatal(err)
			}
			if timeout != tc.timeout || app != tc.app {
				t.Errorf("idle_in_transaction_session_timeout, application_name = %q, %q; want %q, %q", timeout, app, tc.timeout, tc.app)
			}
		})
	}
}
