package shard

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The runtime keeps one record of its own in each room's storage, under a
// key rooms cannot use: the room's namespace and name (an alarm due for a
// room that is not active names only the room id, and the shard must know
// which class to run it with) and the failed-alarm retry count (so retries
// stay bounded across eviction and restarts).
//
// Keys starting with reservedPrefix belong to the runtime. Because the
// prefix is all 0xff bytes, every key at or after it starts with it, so
// capping a room's List at the prefix hides exactly the reserved keys.
const (
	reservedPrefix = "\xff\xff"
	metaKey        = reservedPrefix + "roomshard/meta"
)

// roomMeta is the runtime's record in a room's storage.
type roomMeta struct {
	Namespace string `json:"ns"`
	Name      string `json:"name,omitempty"`
	// AlarmAttempt counts the failed runs of the current alarm.
	AlarmAttempt int `json:"alarmAttempt,omitempty"`
}

func (m roomMeta) encode() []byte {
	b, _ := json.Marshal(m) // strings and ints always marshal
	return b
}

func decodeMeta(b []byte) (roomMeta, error) {
	var m roomMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return roomMeta{}, fmt.Errorf("shard: corrupt room record: %w", err)
	}
	return m, nil
}

// checkUserKey rejects keys in the runtime's reserved range.
func checkUserKey(key string) error {
	if strings.HasPrefix(key, reservedPrefix) {
		return fmt.Errorf("%w: %q", ErrReservedKey, key)
	}
	return nil
}
