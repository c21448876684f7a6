//go:build race

package clustertest_test

// raceEnabled builds the binaries under test with the race detector too.
const raceEnabled = true
