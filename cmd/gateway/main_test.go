package main

import (
	"errors"
	"testing"

	"github.com/roomshard/roomshard/gateway"
)

func TestRunRejectsBadConfig(t *testing.T) {
	for _, args := range [][]string{{"--bogus"}, {"--send-queue", "many"}, {"--log-format", "xml"}} {
		if err := run(args); !errors.Is(err, gateway.ErrBadConfig) {
			t.Errorf("run(%q) = %v, want ErrBadConfig", args, err)
		}
	}
}

func TestRunHelp(t *testing.T) {
	if err := run([]string{"-h"}); err != nil {
		t.Errorf("run(-h) = %v", err)
	}
}
