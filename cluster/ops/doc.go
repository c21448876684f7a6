// Package ops holds what every long-running roomshard process needs to be
// operated: the /healthz, /readyz and /metrics HTTP handlers, a gRPC server
// with health and reflection registered, graceful stops with a deadline,
// and slog setup. Everything here is safe for concurrent use.
package ops
