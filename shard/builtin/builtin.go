package builtin

import "github.com/roomshard/roomshard/shard"

// All returns every built-in class, each bound by default to a namespace
// of its own name.
func All() []shard.Class {
	return []shard.Class{Echo(), Broadcast(), Hibernation(), Chat(), Counter()}
}
