package server

import (
	"context"
	"errors"
	"fmt"
	"testing"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

func textFrame(i int) *roomshardv1.ShardFrame {
	return &roomshardv1.ShardFrame{Frame: &roomshardv1.ShardFrame_Deliver{Deliver: &roomshardv1.Deliver{All: true, Data: []byte(fmt.Sprint(i))}}}
}

// TestQueueCoalesces: frames queued while the writer is busy go out in
// order, batched into as few messages as the bounds allow.
func TestQueueCoalesces(t *testing.T) {
	q := newSendQueue(10000, 64<<20)
	for i := range 3000 {
		q.Send(textFrame(i))
	}
	q.Close(nil)
	var sizes []int
	next := 0
	err := q.run(context.Background(), func(r *roomshardv1.RoomResponse) error {
		sizes = append(sizes, len(r.GetFrames()))
		for _, f := range r.GetFrames() {
			if got := string(f.GetDeliver().GetData()); got != fmt.Sprint(next) {
				return fmt.Errorf("frame %s, want %d", got, next)
			}
			next++
		}
		return nil
	})
	if err != nil || next != 3000 {
		t.Fatalf("run = %v after %d frames", err, next)
	}
	if len(sizes) != 3 || sizes[0] != maxBatchFrames {
		t.Errorf("batches = %v, want 3 of at most %d", sizes, maxBatchFrames)
	}
}

func TestQueueBatchBytes(t *testing.T) {
	big := &roomshardv1.ShardFrame{Frame: &roomshardv1.ShardFrame_Deliver{Deliver: &roomshardv1.Deliver{Data: make([]byte, 600<<10)}}}
	q := newSendQueue(100, 64<<20)
	q.Send(big, big, big)
	q.Close(nil)
	var sizes []int
	_ = q.run(context.Background(), func(r *roomshardv1.RoomResponse) error {
		sizes = append(sizes, len(r.GetFrames()))
		return nil
	})
	if len(sizes) != 3 {
		t.Errorf("batches = %v, want one 600 KiB frame each", sizes)
	}
}

// TestQueueOverflowEndsStream: a gateway that cannot keep up is dropped,
// and the room's Send never blocks.
func TestQueueOverflowEndsStream(t *testing.T) {
	for name, q := range map[string]*sendQueue{
		"frames": newSendQueue(4, 1<<20),
		"bytes":  newSendQueue(1000, 100),
	} {
		t.Run(name, func(t *testing.T) {
			for i := range 5 {
				q.Send(textFrame(i), textFrame(i))
			}
			sent := 0
			err := q.run(context.Background(), func(*roomshardv1.RoomResponse) error { sent++; return nil })
			if !errors.Is(err, ErrSlowGateway) || sent != 0 {
				t.Errorf("run = %v after %d sends, want ErrSlowGateway", err, sent)
			}
		})
	}
}

func TestQueueSendErrorAndCancel(t *testing.T) {
	q := newSendQueue(10, 1<<20)
	q.Send(textFrame(1))
	boom := errors.New("broken pipe")
	if err := q.run(context.Background(), func(*roomshardv1.RoomResponse) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("run = %v, want the send error", err)
	}
	q = newSendQueue(10, 1<<20)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.run(ctx, func(*roomshardv1.RoomResponse) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("run = %v, want context.Canceled", err)
	}
}
