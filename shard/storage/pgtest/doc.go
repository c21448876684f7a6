// Package pgtest runs throwaway PostgreSQL servers for tests: it finds the
// server binaries (initdb, postgres) on PATH or under
// /usr/lib/postgresql/*/bin (highest version first), runs initdb into a
// temporary directory, starts postgres on a free loopback port with its
// unix sockets in that directory, and removes everything when stopped.
// When the test binary runs as root, the server runs as the unprivileged
// user nobody (created as roomshard-test if missing), since postgres
// refuses to run as root.
//
// Start gives a test a fresh database; with Main in TestMain, all tests of
// the binary share one server (starting one takes about a second), else
// each Start starts its own. Without the binaries, Start skips the test.
//
// Start, Main and Server's methods are safe to call concurrently.
package pgtest
