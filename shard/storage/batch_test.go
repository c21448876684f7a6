package storage_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/roomshard/roomshard/shard/storage"
)

func mustPut(t *testing.T, b *storage.Batch, key, value string) {
	t.Helper()
	if err := b.Put(key, []byte(value)); err != nil {
		t.Fatal(err)
	}
}

func TestBatchCopiesValues(t *testing.T) {
	var b storage.Batch
	value := []byte("original")
	if err := b.Put("k", value); err != nil {
		t.Fatal(err)
	}
	copy(value, "changed!")
	if got, _, _ := b.Lookup("k"); string(got) != "original" {
		t.Fatalf("batch value changed with the caller's slice: %q", got)
	}
}

func TestBatchMutation(t *testing.T) {
	var b storage.Batch
	if !b.Empty() {
		t.Fatal("zero batch not empty")
	}
	mustPut(t, &b, "b", "2")
	mustPut(t, &b, "a", "1")
	if err := b.Delete("d"); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete("c"); err != nil {
		t.Fatal(err)
	}
	b.SetAlarm(time.Unix(10, 123_456_789))
	m := b.Mutation()
	if got := fmt.Sprintf("%v %v %v %v %v", m.DeleteAll, len(m.Puts), m.Puts[0].Key, m.Puts[1].Key, m.Deletes); got != "false 2 a b [c d]" {
		t.Fatalf("mutation = %s", got)
	}
	if m.Alarm.Op != storage.AlarmSet || !m.Alarm.At.Equal(time.UnixMilli(10_123)) {
		t.Fatalf("alarm = %+v, want set at 10.123s", m.Alarm)
	}

	// DeleteAll drops earlier writes; deletes after it are implied by it.
	b.DeleteAll()
	mustPut(t, &b, "x", "after")
	if err := b.Delete("y"); err != nil {
		t.Fatal(err)
	}
	m = b.Mutation()
	if got := fmt.Sprintf("%v %v %v %v", m.DeleteAll, len(m.Puts), m.Puts[0].Key, len(m.Deletes)); got != "true 1 x 0" {
		t.Fatalf("mutation after DeleteAll = %s", got)
	}
	if _, found, decided := b.Lookup("a"); found || !decided {
		t.Fatal("DeleteAll should decide every key as absent")
	}

	b.Reset()
	if !b.Empty() {
		t.Fatal("batch not empty after Reset")
	}
}

func TestBatchClone(t *testing.T) {
	var b storage.Batch
	mustPut(t, &b, "k", "1")
	c := b.Clone()
	mustPut(t, c, "k", "2")
	c.DeleteAlarm()
	if got, _, _ := b.Lookup("k"); string(got) != "1" {
		t.Fatalf("clone shares writes with the original: %q", got)
	}
	if b.Alarm().Op != storage.AlarmKeep {
		t.Fatal("clone shares the alarm change")
	}
}

func TestLookupUndecided(t *testing.T) {
	var b storage.Batch
	if _, _, decided := b.Lookup("k"); decided {
		t.Fatal("an untouched key must defer to the backend")
	}
}
