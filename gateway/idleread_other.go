//go:build !unix

package gateway

// readable reports every socket ready: without a way to peek, the reader
// waits inside gorilla's read instead.
func readable(uintptr) bool { return true }
