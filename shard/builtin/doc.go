// Package builtin holds the built-in room classes of SPEC §4: echo,
// broadcast and hibernation (chat and counter come with storage). Their
// texts are exact: clients and tests compare them byte for byte.
//
// The classes are values; All returns them for registration with a shard.
// Room objects run on their room's goroutine and need no locking.
package builtin
