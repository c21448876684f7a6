package authtoken

import (
	"testing"
	"time"
)

// FuzzVerify: no input makes Verify panic, and whatever it accepts has a
// subject, an unexpired exp and re-signs to a token that verifies too.
func FuzzVerify(f *testing.F) {
	exp := now.Add(time.Hour).Unix()
	for _, c := range []Claims{
		{Sub: "alice", Exp: exp},
		{Sub: "bob", Exp: exp, NS: []string{"chat"}, Rooms: []string{"lobby", "chat/ops"}},
	} {
		tok, err := Sign(secret, c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	f.Add("")
	f.Add(".")
	f.Add("e30.")
	f.Add("eyJzdWIiOiJhIn0.AAAA")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := Verify(secret, token, now)
		if err != nil {
			return
		}
		if c.Sub == "" || c.Exp <= now.Unix() {
			t.Fatalf("accepted bad claims %+v", c)
		}
		again, err := Sign(secret, c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(secret, again, now); err != nil {
			t.Fatal(err)
		}
		_ = c.Allows("chat", "lobby")
	})
}
