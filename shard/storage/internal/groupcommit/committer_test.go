package groupcommit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/roomshard/roomshard/shard/storage"
)

// recorder is a Flush that records group sizes and blocks until released,
// so tests can pile requests up behind a write in progress.
type recorder struct {
	mu     sync.Mutex
	groups []int
	gate   chan struct{}
}

func (r *recorder) flush(_ context.Context, group []int) []error {
	<-r.gate
	r.mu.Lock()
	r.groups = append(r.groups, len(group))
	r.mu.Unlock()
	errs := make([]error, len(group))
	for i, v := range group {
		if v < 0 {
			errs[i] = errors.New("negative")
		}
	}
	return errs
}

func (r *recorder) sizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.groups...)
}

func runConcurrently(c *Committer[int], n int) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = c.Do(context.Background(), i) })
	}
	wg.Wait()
	return errs
}

func TestGroupsShareOneFlush(t *testing.T) {
	r := &recorder{gate: make(chan struct{})}
	c := Start(storage.GroupCommit{}, r.flush)
	defer c.Close()

	done := make(chan []error)
	go func() { done <- runConcurrently(c, 100) }()
	// Give the requests time to queue behind the first group (a pause, not
	// a wait for a condition: blocked senders cannot be observed).
	time.Sleep(50 * time.Millisecond)
	close(r.gate)
	for i, err := range <-done {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	// Usually 2 (the first alone, then the rest); a slow machine may not
	// have queued them all in time, but they must still be grouped.
	if sizes := r.sizes(); len(sizes) > 20 {
		t.Fatalf("100 queued requests took %d flushes %v; want them grouped", len(sizes), sizes)
	}
}

func TestDisabledFlushesOneAtATime(t *testing.T) {
	r := &recorder{gate: make(chan struct{})}
	close(r.gate)
	c := Start(storage.GroupCommit{Disabled: true}, r.flush)
	defer c.Close()
	runConcurrently(c, 50)
	for _, size := range r.sizes() {
		if size != 1 {
			t.Fatalf("group of %d with group commit disabled", size)
		}
	}
}

func TestMaxSizeCapsGroups(t *testing.T) {
	r := &recorder{gate: make(chan struct{})}
	c := Start(storage.GroupCommit{MaxSize: 7}, r.flush)
	defer c.Close()
	done := make(chan []error)
	go func() { done <- runConcurrently(c, 60) }()
	time.Sleep(50 * time.Millisecond)
	close(r.gate)
	<-done
	for _, size := range r.sizes() {
		if size > 7 {
			t.Fatalf("group of %d exceeds MaxSize 7", size)
		}
	}
}

func TestPerRequestErrors(t *testing.T) {
	r := &recorder{gate: make(chan struct{})}
	close(r.gate)
	c := Start(storage.GroupCommit{}, r.flush)
	defer c.Close()
	if err := c.Do(context.Background(), -1); err == nil {
		t.Fatal("want the flush's error for the request")
	}
	if err := c.Do(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
}

func TestCloseRefusesNewRequests(t *testing.T) {
	r := &recorder{gate: make(chan struct{})}
	close(r.gate)
	c := Start(storage.GroupCommit{}, r.flush)
	c.Close()
	c.Close()
	if err := c.Do(context.Background(), 1); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("Do after Close = %v, want ErrClosed", err)
	}
}

func TestContextEndingWhileWaiting(t *testing.T) {
	r := &recorder{gate: make(chan struct{})}
	c := Start(storage.GroupCommit{}, r.flush)
	defer c.Close()
	defer close(r.gate)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := c.Do(ctx, 1); !errors.Is(err, storage.ErrOutcomeUnknown) {
		t.Fatalf("Do = %v, want ErrOutcomeUnknown once handed over", err)
	}
	// The committer is stuck in the first flush: the next request is never
	// taken, so its outcome is known (nothing happened).
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if err := c.Do(ctx2, 2); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, storage.ErrOutcomeUnknown) {
		t.Fatalf("Do = %v, want plain DeadlineExceeded", err)
	}
}
