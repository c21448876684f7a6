package storage_test

import (
	"strings"
	"testing"

	"github.com/roomshard/roomshard/shard/storage"
)

func keysOf(kvs []storage.KV) string {
	keys := make([]string, len(kvs))
	for i, kv := range kvs {
		keys[i] = kv.Key + "=" + string(kv.Value)
	}
	return strings.Join(keys, " ")
}

func kvs(pairs ...string) []storage.KV {
	var out []storage.KV
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, storage.KV{Key: pairs[i], Value: []byte(pairs[i+1])})
	}
	return out
}

// TestOverlayLimitFetchesPastDeletes shows why BaseListOptions raises the
// limit: deleted keys at the front would otherwise leave the page short.
func TestOverlayLimitFetchesPastDeletes(t *testing.T) {
	var b storage.Batch
	for _, k := range []string{"a", "b", "zz"} { // zz is outside the range
		if err := b.Delete(k); err != nil {
			t.Fatal(err)
		}
	}
	mustPut(t, &b, "bb", "new")
	opts := storage.ListOptions{End: "z", Limit: 2}
	base, need, err := storage.BaseListOptions(&b, opts)
	if err != nil || !need || base.Limit != 4 {
		t.Fatalf("BaseListOptions = %+v, %v, %v; want limit 2 + 2 deletes in range", base, need, err)
	}
	backend := kvs("a", "1", "b", "2", "c", "3", "d", "4")
	if got := keysOf(storage.Overlay(&b, backend, opts)); got != "bb=new c=3" {
		t.Fatalf("Overlay = %s", got)
	}
}

func TestOverlayReverse(t *testing.T) {
	var b storage.Batch
	mustPut(t, &b, "b", "new")
	mustPut(t, &b, "e", "5")
	if err := b.Delete("c"); err != nil {
		t.Fatal(err)
	}
	opts := storage.ListOptions{Reverse: true, Limit: 3}
	backend := kvs("d", "4", "c", "3", "b", "2", "a", "1") // descending, as listed
	if got := keysOf(storage.Overlay(&b, backend, opts)); got != "e=5 d=4 b=new" {
		t.Fatalf("Overlay = %s", got)
	}
}

func TestOverlayDeleteAllIgnoresBackend(t *testing.T) {
	var b storage.Batch
	b.DeleteAll()
	mustPut(t, &b, "k", "v")
	if _, need, _ := storage.BaseListOptions(&b, storage.ListOptions{}); need {
		t.Fatal("a DeleteAll batch needs no backend entries")
	}
	if got := keysOf(storage.Overlay(&b, kvs("a", "1"), storage.ListOptions{})); got != "k=v" {
		t.Fatalf("Overlay = %s", got)
	}
}

func TestOverlayEmptyBatchIsBase(t *testing.T) {
	var b storage.Batch
	base := kvs("a", "1", "b", "2")
	got := storage.Overlay(&b, base, storage.ListOptions{})
	if keysOf(got) != keysOf(base) {
		t.Fatalf("Overlay = %s", keysOf(got))
	}
}
