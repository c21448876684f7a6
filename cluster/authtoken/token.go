package authtoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MaxLen bounds a token's length; longer input is rejected before any
// decoding, so a hostile query string cannot make us hash megabytes.
const MaxLen = 4096

// Claims are what a token asserts.
type Claims struct {
	// Sub is the user, passed to rooms as the socket's identity.
	Sub string `json:"sub"`
	// Exp is the expiry, Unix seconds.
	Exp int64 `json:"exp"`
	// NS, when non-empty, lists the namespaces the token may open.
	NS []string `json:"ns,omitempty"`
	// Rooms, when non-empty, lists room names or "namespace/name" pairs.
	Rooms []string `json:"rooms,omitempty"`
}

var b64 = base64.RawURLEncoding

// Sign returns the token for c signed with secret.
func Sign(secret []byte, c Claims) (string, error) {
	if len(secret) == 0 {
		return "", ErrNoSecret
	}
	if c.Sub == "" || c.Exp == 0 {
		return "", ErrClaims
	}
	body, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("authtoken: encoding claims: %w", err)
	}
	payload := b64.EncodeToString(body)
	return payload + "." + b64.EncodeToString(mac(secret, payload)), nil
}

// Verify checks token's signature and expiry at now and returns its claims.
// The signature is checked before the claims are parsed, so unsigned input
// never reaches the JSON decoder.
func Verify(secret []byte, token string, now time.Time) (Claims, error) {
	if len(secret) == 0 {
		return Claims{}, ErrNoSecret
	}
	if len(token) > MaxLen {
		return Claims{}, ErrMalformed
	}
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || payload == "" || sig == "" {
		return Claims{}, ErrMalformed
	}
	got, err := b64.DecodeString(sig)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	if !hmac.Equal(got, mac(secret, payload)) {
		return Claims{}, ErrSignature
	}
	body, err := b64.DecodeString(payload)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	var c Claims
	if err := json.Unmarshal(body, &c); err != nil {
		return Claims{}, ErrMalformed
	}
	if c.Sub == "" || c.Exp == 0 {
		return Claims{}, ErrClaims
	}
	if now.Unix() >= c.Exp {
		return Claims{}, ErrExpired
	}
	return c, nil
}

// Allows reports whether c may open room name (empty for a room addressed
// by id) in namespace ns. A token restricted to rooms cannot open rooms by
// id, since the id does not reveal the name.
func (c Claims) Allows(ns, name string) bool {
	if len(c.NS) > 0 && !slices.Contains(c.NS, ns) {
		return false
	}
	if len(c.Rooms) == 0 {
		return true
	}
	if name == "" {
		return false
	}
	return slices.Contains(c.Rooms, name) || slices.Contains(c.Rooms, ns+"/"+name)
}

func mac(secret []byte, payload string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(payload))
	return h.Sum(nil)
}
