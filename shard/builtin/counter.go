package builtin

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/roomshard/roomshard/shard"
)

// CounterName is the counter class's name.
const CounterName = "counter"

// Counter's replies other than values.
const (
	CounterScheduled  = "scheduled"
	CounterErrCommand = `error: unknown command; want "incr", "get" or "incr-later MS"`
	CounterErrDelay   = "error: incr-later takes a delay in milliseconds, 1 to 86400000"
)

// counterMaxDelay bounds incr-later (one day).
const counterMaxDelay = 24 * time.Hour

const (
	counterKey   = "value"
	counterLater = "later/" // + 20-digit due time in Unix ms -> how many increments are due then
)

// Counter is a durable counter. Text commands:
//
//	incr          adds 1 and replies with the new value in decimal, once
//	              the new value is durable
//	get           replies with the current value
//	incr-later MS adds 1 after MS milliseconds (1 to 86400000), using the
//	              room's alarm, even when no socket is connected then;
//	              replies "scheduled" once the request is durable. The
//	              increment itself is silent (read it with get).
//
// Anything else gets CounterErrCommand (or CounterErrDelay for a bad
// delay). The value lives in storage under "value" as a decimal string.
func Counter() shard.Class {
	return shard.Class{Name: CounterName, Hibernatable: true, New: func(s *shard.State) shard.Room {
		return &counterRoom{st: s.Storage()}
	}}
}

type counterRoom struct {
	shard.BaseRoom
	st *shard.Storage
	// n caches the stored value once read. It cannot go stale: another
	// shard can only write the room after taking its lease, which fails
	// this room's next commit, and a failed commit rebuilds the object.
	n      int64
	loaded bool
}

func (c *counterRoom) Message(ctx context.Context, ws *shard.WebSocket, msg shard.Message) error {
	cmd, arg, _ := strings.Cut(strings.TrimSpace(msg.Text()), " ")
	switch {
	case cmd == "incr" && arg == "":
		n, err := c.add(ctx, 1)
		if err != nil {
			return err
		}
		return ws.SendText(strconv.FormatInt(n, 10)) // released once n is durable
	case cmd == "get" && arg == "":
		n, err := c.value(ctx)
		if err != nil {
			return err
		}
		return ws.SendText(strconv.FormatInt(n, 10))
	case cmd == "incr-later":
		ms, err := strconv.ParseInt(strings.TrimSpace(arg), 10, 64)
		if err != nil || ms < 1 || time.Duration(ms)*time.Millisecond > counterMaxDelay {
			return ws.SendText(CounterErrDelay)
		}
		if err := c.later(ctx, time.Now().Add(time.Duration(ms)*time.Millisecond)); err != nil {
			return err
		}
		return ws.SendText(CounterScheduled)
	}
	return ws.SendText(CounterErrCommand)
}

func (c *counterRoom) value(ctx context.Context) (int64, error) {
	if c.loaded {
		return c.n, nil
	}
	raw, found, err := c.st.Get(ctx, counterKey)
	if err != nil {
		return 0, err
	}
	var n int64
	if found {
		if n, err = strconv.ParseInt(string(raw), 10, 64); err != nil {
			return 0, fmt.Errorf("counter: stored value %q: %w", raw, err)
		}
	}
	c.n, c.loaded = n, true
	return n, nil
}

func (c *counterRoom) add(ctx context.Context, d int64) (int64, error) {
	n, err := c.value(ctx)
	if err != nil {
		return 0, err
	}
	if err := c.st.Put(ctx, counterKey, []byte(strconv.FormatInt(n+d, 10))); err != nil {
		return 0, err
	}
	c.n = n + d
	return c.n, nil
}

func laterKey(at time.Time) string {
	return fmt.Sprintf("%s%020d", counterLater, at.UnixMilli())
}

// later records one increment due at at and moves the alarm to the
// earliest due increment.
func (c *counterRoom) later(ctx context.Context, at time.Time) error {
	key := laterKey(at)
	raw, _, err := c.st.Get(ctx, key)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(string(raw)) // missing: 0
	if err := c.st.Put(ctx, key, []byte(strconv.Itoa(n+1))); err != nil {
		return err
	}
	return c.rearm(ctx)
}

// rearm sets the alarm to the earliest pending increment, or deletes it.
func (c *counterRoom) rearm(ctx context.Context) error {
	first, err := c.st.List(ctx, shard.ListOptions{Prefix: counterLater, Limit: 1})
	if err != nil {
		return err
	}
	if len(first) == 0 {
		return c.st.DeleteAlarm(ctx)
	}
	ms, err := strconv.ParseInt(strings.TrimPrefix(first[0].Key, counterLater), 10, 64)
	if err != nil {
		return fmt.Errorf("counter: bad key %q", first[0].Key)
	}
	return c.st.SetAlarm(ctx, time.UnixMilli(ms))
}

// Alarm applies the increments that are due.
func (c *counterRoom) Alarm(ctx context.Context) error {
	due, err := c.st.List(ctx, shard.ListOptions{Prefix: counterLater, End: laterKey(time.Now().Add(time.Millisecond))})
	if err != nil {
		return err
	}
	var sum int64
	keys := make([]string, 0, len(due))
	for _, kv := range due {
		n, _ := strconv.ParseInt(string(kv.Value), 10, 64)
		sum += n
		keys = append(keys, kv.Key)
	}
	if sum > 0 {
		if _, err := c.add(ctx, sum); err != nil {
			return err
		}
	}
	if _, err := c.st.DeleteMany(ctx, keys); err != nil {
		return err
	}
	return c.rearm(ctx)
}
