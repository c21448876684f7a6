package groupcommit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/roomshard/roomshard/shard/storage"
)

// Flush writes a group of requests as one durable write and returns one
// error per request (nil: that request is durable). ctx ends when the
// committer is closed and its last group is done.
type Flush[R any] func(ctx context.Context, group []R) []error

// Committer serializes requests through one goroutine in groups.
type Committer[R any] struct {
	maxSize int
	maxWait time.Duration
	flush   Flush[R]

	// calls is unbuffered: a request is either taken by the committer, which
	// then always answers it, or never taken.
	calls chan call[R]
	stop  chan struct{}
	done  chan struct{}

	stopOnce sync.Once
}

type call[R any] struct {
	req    R
	result chan error // buffered: the committer never blocks on a caller
}

// Start starts a committer configured by cfg.
func Start[R any](cfg storage.GroupCommit, flush Flush[R]) *Committer[R] {
	c := &Committer[R]{
		maxSize: cfg.Size(),
		maxWait: cfg.MaxWait,
		flush:   flush,
		calls:   make(chan call[R]),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go c.run()
	return c
}

// Do hands req to the committer and waits for its result. If ctx ends
// before the committer takes req, nothing happens and ctx's error is
// returned; if it ends after, the error wraps storage.ErrOutcomeUnknown.
func (c *Committer[R]) Do(ctx context.Context, req R) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cl := call[R]{req: req, result: make(chan error, 1)}
	select {
	case c.calls <- cl:
	case <-c.stop:
		return storage.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-cl.result:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", storage.ErrOutcomeUnknown, ctx.Err())
	}
}

// Close stops accepting requests, waits for the group being written, and
// stops the goroutine. It is idempotent.
func (c *Committer[R]) Close() {
	c.stopOnce.Do(func() { close(c.stop) })
	<-c.done
}

func (c *Committer[R]) run() {
	defer close(c.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for {
		select {
		case <-c.stop:
			return
		case first := <-c.calls:
			c.write(ctx, c.collect(first))
		}
	}
}

// collect gathers the calls that are waiting (and, with maxWait, the ones
// that arrive within it) into one group of at most maxSize.
func (c *Committer[R]) collect(first call[R]) []call[R] {
	group := []call[R]{first}
	var deadline <-chan time.Time
	if c.maxWait > 0 {
		timer := time.NewTimer(c.maxWait)
		defer timer.Stop()
		deadline = timer.C
	}
	for len(group) < c.maxSize {
		if deadline == nil {
			select {
			case cl := <-c.calls:
				group = append(group, cl)
				continue
			default:
				return group
			}
		}
		select {
		case cl := <-c.calls:
			group = append(group, cl)
		case <-deadline:
			return group
		}
	}
	return group
}

func (c *Committer[R]) write(ctx context.Context, group []call[R]) {
	reqs := make([]R, len(group))
	for i, cl := range group {
		reqs[i] = cl.req
	}
	errs := c.flush(ctx, reqs)
	for i, cl := range group {
		cl.result <- errs[i]
	}
}
