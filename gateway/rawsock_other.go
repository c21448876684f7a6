//go:build !linux

package gateway

import "net"

// rawSupported: without these, the reader waits inside gorilla's read and
// every write goes through the writer goroutine.
const rawSupported = false

func peekPong(uintptr) (ready, pong bool) { return true, false }

func discardPong(uintptr) bool { return false }

func writevNonblock(uintptr, net.Buffers) (int, error) { return 0, nil }
