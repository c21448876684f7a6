package admintest

import (
	"testing"
	"time"

	"github.com/roomshard/roomshard/cluster/clustertest"
)

// WaitFor calls check every 20ms until it returns nil, failing the test
// with check's last error after total.
func WaitFor(t testing.TB, total time.Duration, check func() error) {
	t.Helper()
	clustertest.Eventually(t, total, 20*time.Millisecond, check)
}
