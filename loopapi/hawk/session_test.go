package hawk

import (
	"errors"
	"testing"
)

// TestDeriveSessionCredentialsVector checks the public Firefox Accounts
// vector (onepw protocol): the same HKDF, info and split as Loop's.
func TestDeriveSessionCredentialsVector(t *testing.T) {
	c, err := DeriveSessionCredentials("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf")
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "c0a29dcf46174973da1378696e4c82ae10f723cf4f4d9f75e39f4ae3851595ab" {
		t.Errorf("id %s", c.ID)
	}
	if string(c.Key) != "9d8f22998ee7f5798b887042466b72d53e56ab0c094388bf65831f702d2febc0" {
		t.Errorf("key %s", c.Key)
	}
	if c.Algorithm != "sha256" {
		t.Errorf("algorithm %q", c.Algorithm)
	}
}

func TestDeriveSessionCredentialsRejects(t *testing.T) {
	for _, tok := range []string{"", "abc", "zz" + "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbe", "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf00"} {
		if _, err := DeriveSessionCredentials(tok); !errors.Is(err, ErrBadSessionToken) {
			t.Errorf("%q: %v", tok, err)
		}
	}
}

func TestNewSessionToken(t *testing.T) {
	tok, c, err := NewSessionToken()
	if err != nil || len(tok) != 64 {
		t.Fatalf("%q %v", tok, err)
	}
	d, _ := DeriveSessionCredentials(tok)
	if d.ID != c.ID || string(d.Key) != string(c.Key) || len(c.Key) != 64 {
		t.Fatalf("derivation differs: %+v %+v", c, d)
	}
	tok2, _, _ := NewSessionToken()
	if tok2 == tok {
		t.Fatal("two tokens are equal")
	}
}
