package gateway

import (
	"fmt"

	"google.golang.org/grpc"
)

// grpcSecurity turns cfg.TLS into the admin server's options and the one
// dial option used for shards and forwarded admin calls, so every gRPC hop
// is TLS (mutual with a CA) or every hop is plaintext.
func grpcSecurity(cfg Config) ([]grpc.ServerOption, grpc.DialOption, error) {
	srv, err := cfg.TLS.ServerOptions()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	dial, err := cfg.TLS.DialOption(cfg.TLSServerName)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	return srv, dial, nil
}
