package storagetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/roomshard/roomshard/shard/storage"
)

// BenchmarkCommits runs b.N commits of one 100-byte put, spread over rooms
// writers that commit at the same time (each room one commit after
// another, as its actor would), and reports commits/s.
func BenchmarkCommits(b *testing.B, s storage.Backend, rooms int) {
	ctx := context.Background()
	leases := make([]storage.Lease, rooms)
	var wg sync.WaitGroup
	for i := range leases {
		wg.Go(func() {
			lease, err := s.AcquireLease(ctx, fmt.Sprintf("%064x", i), "bench")
			if err != nil {
				b.Error(err)
			}
			leases[i] = lease
		})
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	value := make([]byte, 100)
	var next atomic.Int64
	b.ResetTimer()
	for _, lease := range leases {
		wg.Go(func() {
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				var batch storage.Batch
				if err := batch.Put(fmt.Sprint("k", n%16), value); err != nil {
					b.Error(err)
					return
				}
				if err := s.Commit(ctx, lease, &batch); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}
