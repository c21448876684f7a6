//go:build !unix

package gateway

// peekPong reports every socket ready and no pong: without a way to peek,
// the reader waits inside gorilla's read instead.
func peekPong(uintptr) (ready, pong bool) { return true, false }

func discardPong(uintptr) bool { return false }

func writeNonblock(uintptr, []byte) int { return 0 }
