package pebble

import "errors"

var (
	// ErrNoPath reports a Config without a Path.
	ErrNoPath = errors.New("pebble storage: data directory path is empty")
	// ErrFormat reports a directory written in a format this build does not
	// know (a newer roomshard, or not a roomshard store).
	ErrFormat = errors.New("pebble storage: unknown data format")
)
