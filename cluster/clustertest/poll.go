package clustertest

import (
	"testing"
	"time"
)

// Eventually calls check every step until it returns nil, and fails the test
// with check's last error when total passes.
func Eventually(t testing.TB, total, step time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %v: %v", total, err)
		}
		time.Sleep(step)
	}
}
