package main

import (
	"context"
	"errors"
	"io"
)

// runDev is a placeholder until dev.go lands; delete this file then.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("roomctl dev: not built yet")
}
