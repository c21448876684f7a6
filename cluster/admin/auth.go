package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
)

// methodPrefix starts the full method name of every AdminService call; the
// interceptors check only those, so health and reflection stay open.
const methodPrefix = "/roomshard.v1.AdminService/"

// authHeader is the metadata key that carries the bearer token.
const authHeader = "authorization"

// UnaryInterceptor checks the admin token on AdminService unary calls and
// lets every other service through.
func (s *Server) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
		if strings.HasPrefix(info.FullMethod, methodPrefix) {
			if err := s.authorize(ctx); err != nil {
				return nil, err
			}
		}
		return next(ctx, req)
	}
}

// StreamInterceptor checks the admin token on AdminService streams and lets
// every other service through.
func (s *Server) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, next grpc.StreamHandler) error {
		if strings.HasPrefix(info.FullMethod, methodPrefix) {
			if err := s.authorize(ss.Context()); err != nil {
				return err
			}
		}
		return next(srv, ss)
	}
}

// authorize returns Unauthenticated unless ctx carries the configured token.
func (s *Server) authorize(ctx context.Context) error {
	if s.cfg.Token == "" {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	want := sha256.Sum256([]byte(s.cfg.Token))
	ok := 0
	for _, v := range md.Get(authHeader) {
		scheme, token, found := strings.Cut(v, " ")
		if !found || !strings.EqualFold(scheme, "Bearer") {
			continue
		}
		// Hashing first makes the comparison independent of the length.
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		ok |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	if ok != 1 {
		return status.Error(codes.Unauthenticated, ErrUnauthenticated.Error())
	}
	return nil
}

// withToken adds this node's token to a call it makes to another node.
func (s *Server) withToken(ctx context.Context) context.Context {
	if s.cfg.Token == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, authHeader, "Bearer "+s.cfg.Token)
}

// guardedServiceDesc is the generated AdminService description with every
// handler wrapped in the token check.
func (s *Server) guardedServiceDesc() *grpc.ServiceDesc {
	desc := roomshardv1.AdminService_ServiceDesc
	desc.Methods = make([]grpc.MethodDesc, len(roomshardv1.AdminService_ServiceDesc.Methods))
	for i, m := range roomshardv1.AdminService_ServiceDesc.Methods {
		h := m.Handler
		m.Handler = func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			if err := s.authorize(ctx); err != nil {
				return nil, err
			}
			return h(srv, ctx, dec, ic)
		}
		desc.Methods[i] = m
	}
	desc.Streams = make([]grpc.StreamDesc, len(roomshardv1.AdminService_ServiceDesc.Streams))
	for i, st := range roomshardv1.AdminService_ServiceDesc.Streams {
		h := st.Handler
		st.Handler = func(srv any, ss grpc.ServerStream) error {
			if err := s.authorize(ss.Context()); err != nil {
				return err
			}
			return h(srv, ss)
		}
		desc.Streams[i] = st
	}
	return &desc
}

// BearerToken returns per-call credentials that send token as the admin
// service expects ("authorization: Bearer TOKEN"). They are allowed over
// plaintext connections, as on a loopback development cluster.
func BearerToken(token string) credentials.PerRPCCredentials {
	return bearerToken(token)
}

type bearerToken string

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{authHeader: "Bearer " + string(t)}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials.
func (t bearerToken) RequireTransportSecurity() bool { return false }
