//go:build !linux

package postgres

import "syscall"

// setUserTimeout is Linux-only; elsewhere keepalives alone find dead peers.
func setUserTimeout(_, _ string, _ syscall.RawConn) error { return nil }
