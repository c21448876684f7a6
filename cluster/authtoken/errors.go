package authtoken

import "errors"

var (
	// ErrMalformed reports a token that is not two base64url parts of
	// JSON claims and a signature.
	ErrMalformed = errors.New("authtoken: malformed token")
	// ErrSignature reports a token not signed with the secret (tampered
	// or minted for another cluster).
	ErrSignature = errors.New("authtoken: bad signature")
	// ErrExpired reports a token past its exp.
	ErrExpired = errors.New("authtoken: token expired")
	// ErrClaims reports a well-signed token with unusable claims (no sub
	// or no exp).
	ErrClaims = errors.New("authtoken: missing sub or exp")
	// ErrForbidden reports a valid token that does not cover the room.
	ErrForbidden = errors.New("authtoken: token does not allow this room")
	// ErrNoSecret reports signing or verifying with an empty secret.
	ErrNoSecret = errors.New("authtoken: empty secret")
)
