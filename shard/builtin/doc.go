// Package builtin holds the built-in room classes of SPEC §4: echo,
// broadcast, hibernation, chat and counter (the last two keep their state
// in room storage). Their texts are exact: clients and tests compare them
// byte for byte.
//
// The classes are values; All returns them for registration with a shard.
// Room objects run on their room's goroutine and need no locking.
package builtin
