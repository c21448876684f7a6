package storage

import "errors"

var (
	// ErrEmptyKey reports a zero-length key; keys are 1..MaxKeySize bytes.
	ErrEmptyKey = errors.New("storage: key is empty")
	// ErrKeyTooLarge reports a key longer than MaxKeySize.
	ErrKeyTooLarge = errors.New("storage: key exceeds the 2048-byte (2 KiB) limit")
	// ErrValueTooLarge reports a value longer than MaxValueSize.
	ErrValueTooLarge = errors.New("storage: value exceeds the 131072-byte (128 KiB) limit")
	// ErrEmptyRoom reports a zero-length room id.
	ErrEmptyRoom = errors.New("storage: room id is empty")
	// ErrInvalidListOptions reports ListOptions that cannot be satisfied as
	// given (Start together with StartAfter, or a negative Limit).
	ErrInvalidListOptions = errors.New("storage: invalid list options")
	// ErrFenced reports a commit under a lease that is no longer the room's
	// current one: another holder acquired the room, or the lease was
	// released. Nothing of the batch was written.
	ErrFenced = errors.New("storage: lease fenced: the room was acquired by a newer lease or released")
	// ErrOutcomeUnknown reports a commit whose caller stopped waiting (its
	// context ended) after the commit was handed to the backend: it may or
	// may not have been applied. The runtime should reload the room.
	ErrOutcomeUnknown = errors.New("storage: commit outcome unknown")
	// ErrClosed reports a call on a closed backend.
	ErrClosed = errors.New("storage: backend is closed")
)
