// Package authtoken signs and verifies roomshard connect tokens (SPEC §10):
// HMAC-SHA256-signed claims naming a user, an expiry and, optionally, the
// namespaces and rooms the token may open.
//
// Format: base64url(JSON claims) "." base64url(HMAC-SHA256(secret, first
// part)), both unpadded. Claims:
//
//	{"sub":"alice","exp":1767225600,"ns":["chat"],"rooms":["lobby","chat/ops"]}
//
// sub (required) is the user; exp (required) is the expiry in Unix seconds;
// ns, when present and non-empty, lists the namespaces the token may open;
// rooms, when present and non-empty, lists room names ("lobby", any
// namespace) or "namespace/name" pairs it may open. Everything here is a
// pure function, safe for concurrent use.
package authtoken
