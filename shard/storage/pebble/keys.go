package pebble

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/roomshard/roomshard/shard/storage"
)

// Key layout. Every key starts with a tag byte. A room id is written as
// uvarint(len) + bytes, so no room's keys are a prefix of another's, and a
// room's data is one contiguous range that List scans in key order.
//
//	'd' room key     -> value          room data
//	'a' room         -> millis(at)     a room's alarm
//	't' millis(at) room -> (empty)     alarms by time, for DueAlarms
//	'l' room         -> lease record   a room's current lease
//	'm' "format"     -> formatVersion  store format marker
//
// millis is the alarm's Unix milliseconds as 8 big-endian bytes with the
// sign bit flipped, so byte order is time order.
const (
	tagData       = 'd'
	tagAlarm      = 'a'
	tagAlarmIndex = 't'
	tagLease      = 'l'
	tagMeta       = 'm'
)

// formatVersion is the layout above; bump it with a migration when it changes.
const formatVersion = "1"

var formatKey = []byte{tagMeta, 'f', 'o', 'r', 'm', 'a', 't'}

func roomPrefix(tag byte, room string) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(room))
	b = append(b, tag)
	b = binary.AppendUvarint(b, uint64(len(room)))
	return append(b, room...)
}

func dataKey(room, key string) []byte {
	return append(roomPrefix(tagData, room), key...)
}

// dataBounds returns the Pebble key bounds [lo, hi) of r within room.
func dataBounds(room string, r storage.KeyRange) (lo, hi []byte) {
	prefix := roomPrefix(tagData, room)
	lo = append(prefix[:len(prefix):len(prefix)], r.Lo...)
	if r.HasHi {
		return lo, append(prefix[:len(prefix):len(prefix)], r.Hi...)
	}
	end, _ := storage.PrefixEnd(string(prefix)) // never all 0xff: starts with 'd'
	return lo, []byte(end)
}

func roomDataSpan(room string) (lo, hi []byte) {
	return dataBounds(room, storage.KeyRange{})
}

func alarmKey(room string) []byte { return roomPrefix(tagAlarm, room) }

func leaseKey(room string) []byte { return roomPrefix(tagLease, room) }

func encodeMillis(ms int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(ms)^(1<<63))
}

func decodeMillis(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("pebble storage: alarm time is %d bytes, want 8", len(b))
	}
	return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)), nil
}

func alarmIndexKey(ms int64, room string) []byte {
	return append(append([]byte{tagAlarmIndex}, encodeMillis(ms)...), room...)
}

func decodeAlarmIndexKey(k []byte) (storage.Alarm, error) {
	if len(k) < 1+8 || k[0] != tagAlarmIndex {
		return storage.Alarm{}, fmt.Errorf("pebble storage: malformed alarm index key %q", k)
	}
	ms, err := decodeMillis(k[1:9])
	if err != nil {
		return storage.Alarm{}, err
	}
	return storage.Alarm{Room: string(k[9:]), At: time.UnixMilli(ms).UTC()}, nil
}

// leaseRecord is a room's current lease as stored under its lease key.
type leaseRecord struct {
	epoch    uint64
	released bool
	holder   string
}

func (l leaseRecord) current(lease storage.Lease) bool {
	return !l.released && l.epoch != 0 && l.epoch == lease.Epoch
}

func (l leaseRecord) encode() []byte {
	b := binary.BigEndian.AppendUint64(nil, l.epoch)
	released := byte(0)
	if l.released {
		released = 1
	}
	return append(append(b, released), l.holder...)
}

func decodeLease(b []byte) (leaseRecord, error) {
	if len(b) < 9 {
		return leaseRecord{}, fmt.Errorf("pebble storage: lease record is %d bytes, want at least 9", len(b))
	}
	return leaseRecord{
		epoch:    binary.BigEndian.Uint64(b),
		released: b[8] == 1,
		holder:   string(b[9:]),
	}, nil
}
