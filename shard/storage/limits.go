package storage

import "fmt"

// Limits from SPEC §6, the same as Durable Objects'.
const (
	// MaxKeySize is the largest key, in bytes.
	MaxKeySize = 2048
	// MaxValueSize is the largest value, in bytes.
	MaxValueSize = 128 << 10
)

// CheckKey reports whether key is a storable key: 1..MaxKeySize bytes.
// Any bytes are allowed; keys order by their bytes.
func CheckKey(key string) error {
	switch {
	case key == "":
		return ErrEmptyKey
	case len(key) > MaxKeySize:
		return fmt.Errorf("%w: key is %d bytes", ErrKeyTooLarge, len(key))
	}
	return nil
}

// CheckValue reports whether value fits MaxValueSize.
func CheckValue(value []byte) error {
	if len(value) > MaxValueSize {
		return fmt.Errorf("%w: value is %d bytes", ErrValueTooLarge, len(value))
	}
	return nil
}

// CheckRoom reports whether room is a usable room id (non-empty).
func CheckRoom(room string) error {
	if room == "" {
		return ErrEmptyRoom
	}
	return nil
}
