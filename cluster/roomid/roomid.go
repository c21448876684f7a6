package roomid

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxNameLen is the longest room name in bytes.
const MaxNameLen = 256

// Sentinel errors.
var (
	// ErrBadName reports a room name that is empty, too long or not UTF-8.
	ErrBadName = errors.New("roomid: room name must be 1..256 bytes of valid UTF-8")
	// ErrBadID reports an id that is not 64 lowercase hex characters.
	ErrBadID = errors.New("roomid: id must be 64 lowercase hex characters")
)

// FromName returns the id of room name in namespace.
func FromName(namespace, name string) string {
	h := sha256.New()
	h.Write([]byte("roomshard/v1\x00"))
	h.Write([]byte(namespace))
	h.Write([]byte{0})
	h.Write([]byte(name))
	return hex.EncodeToString(h.Sum(nil))
}

// New returns a random unique id.
func New() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("roomid: reading random bytes: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// CheckName returns ErrBadName unless name is a valid room name.
func CheckName(name string) error {
	if len(name) == 0 || len(name) > MaxNameLen || !utf8.ValidString(name) {
		return ErrBadName
	}
	return nil
}

// CheckID returns ErrBadID unless id is 64 lowercase hex characters.
func CheckID(id string) error {
	if len(id) != 64 {
		return ErrBadID
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return ErrBadID
		}
	}
	return nil
}
