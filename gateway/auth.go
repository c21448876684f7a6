package gateway

import (
	"errors"
	"net/http"
	"strings"
	"time"

	roomshardv1 "github.com/roomshard/roomshard/api/roomshard/v1"
	"github.com/roomshard/roomshard/cluster/authtoken"
)

// authenticate applies --auth-secret to a WebSocket request for room ref:
// it returns the token's subject (the socket's identity), or a refusal.
// Failures are answered before the upgrade, as HTTP, because a browser
// cannot read an HTTP body but every client sees the status, and because
// refusing costs no socket: 401 for a missing, malformed, tampered or
// expired token, 403 for a valid one that does not cover the room. The
// body is one line naming the problem; it never echoes the token.
func (g *Gateway) authenticate(r *http.Request, ref *roomshardv1.RoomRef) (identity string, refused *refusal) {
	if len(g.cfg.AuthSecret) == 0 {
		return "", nil
	}
	tok := requestToken(r)
	if tok == "" {
		return "", &refusal{"auth", http.StatusUnauthorized, "connect token required (token query parameter or Authorization: Bearer)"}
	}
	claims, err := authtoken.Verify(g.cfg.AuthSecret, tok, time.Now())
	switch {
	case errors.Is(err, authtoken.ErrExpired):
		return "", &refusal{"auth", http.StatusUnauthorized, "connect token expired"}
	case err != nil:
		return "", &refusal{"auth", http.StatusUnauthorized, "invalid connect token"}
	case !claims.Allows(ref.GetNamespace(), ref.GetName()):
		return "", &refusal{"forbidden", http.StatusForbidden, "connect token does not allow this room"}
	}
	return claims.Sub, nil
}

// requestToken is the connect token of r: the "token" query parameter, or
// else an "Authorization: Bearer" header.
func requestToken(r *http.Request) string {
	if t := r.URL.Query().Get("token"); t != "" {
		return t
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(tok)
	}
	return ""
}
