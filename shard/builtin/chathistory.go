package builtin

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/roomshard/roomshard/shard"
)

// chatPrefix holds the chat history: one key per line, "msg/" and a
// 20-digit sequence number, so keys sort in the order lines were said and a
// reverse List with a limit gives the newest ones.
const chatPrefix = "msg/"

func chatKey(seq uint64) string { return fmt.Sprintf("%s%020d", chatPrefix, seq) }

// chatHistory tracks which sequence numbers are stored: [first, next).
// It is loaded from storage on first use, and rebuilt with the room object
// after a failed commit.
type chatHistory struct {
	loaded      bool
	first, next uint64
	pruneSet    bool // this object set the pruning alarm (or saw one set)
}

func (h *chatHistory) load(ctx context.Context, st *shard.Storage) error {
	if h.loaded {
		return nil
	}
	oldest, err := st.List(ctx, shard.ListOptions{Prefix: chatPrefix, Limit: 1})
	if err != nil {
		return err
	}
	newest, err := st.List(ctx, shard.ListOptions{Prefix: chatPrefix, Reverse: true, Limit: 1})
	if err != nil {
		return err
	}
	h.first, h.next = 1, 1
	if len(oldest) > 0 && len(newest) > 0 {
		if h.first, err = chatSeq(oldest[0].Key); err != nil {
			return err
		}
		last, err := chatSeq(newest[0].Key)
		if err != nil {
			return err
		}
		h.next = last + 1
	}
	h.loaded = true
	return nil
}

func chatSeq(key string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(key, chatPrefix), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("chat: bad history key %q", key)
	}
	return n, nil
}

// last returns up to n of the newest lines, oldest first.
func (h *chatHistory) last(ctx context.Context, st *shard.Storage, n int) ([]string, error) {
	kvs, err := st.List(ctx, shard.ListOptions{Prefix: chatPrefix, Reverse: true, Limit: n})
	if err != nil {
		return nil, err
	}
	lines := make([]string, len(kvs))
	for i, kv := range kvs {
		lines[len(kvs)-1-i] = string(kv.Value)
	}
	return lines, nil
}

// add stores line as the newest and returns how many lines are stored.
func (h *chatHistory) add(ctx context.Context, st *shard.Storage, line string) (int, error) {
	if err := h.load(ctx, st); err != nil {
		return 0, err
	}
	if err := st.Put(ctx, chatKey(h.next), []byte(line)); err != nil {
		return 0, err
	}
	h.next++
	return int(h.next - h.first), nil
}

// prune deletes the oldest lines beyond keep.
func (h *chatHistory) prune(ctx context.Context, st *shard.Storage, keep int) error {
	if err := h.load(ctx, st); err != nil {
		return err
	}
	if h.next-h.first <= uint64(keep) {
		return nil
	}
	cut := h.next - uint64(keep)
	keys := make([]string, 0, cut-h.first)
	for seq := h.first; seq < cut; seq++ {
		keys = append(keys, chatKey(seq))
	}
	if _, err := st.DeleteMany(ctx, keys); err != nil {
		return err
	}
	h.first = cut
	return nil
}
