package admintest

import (
	"testing"
	"time"
)

// WaitFor calls check every 20ms until it returns nil, failing the test
// with check's last error after total.
func WaitFor(t testing.TB, total time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %s: %v", total, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
