package oauth

import (
	"encoding/base64"
	"strings"
	"testing"
)

// RFC 7636 Appendix B: the 32 octets, their base64url verifier, and
// the S256 challenge as printed in the RFC. (The task brief quoted
// "E9cEVNVU-fJ93KC3IFdz8pb7oqZ6kuA1Bv8bp0S9hXE" for this verifier; that
// is not the RFC's value, and SHA-256 disagrees with it.)
func TestChallengeS256RFC7636AppendixB(t *testing.T) {
	octets := []byte{116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173,
		187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83,
		132, 141, 121}
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	const want = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	if got := base64.RawURLEncoding.EncodeToString(octets); got != verifier {
		t.Fatalf("verifier from the RFC octets = %q, want %q", got, verifier)
	}
	if ChallengeS256(verifier) == "E9cEVNVU-fJ93KC3IFdz8pb7oqZ6kuA1Bv8bp0S9hXE" {
		t.Fatal("matched the mistyped vector")
	}
	if got := ChallengeS256(verifier); got != want {
		t.Fatalf("ChallengeS256 = %q, want %q", got, want)
	}
	if !verifyS256(verifier, want) {
		t.Fatal("verifyS256 refused the RFC vector")
	}
	if verifyS256(verifier[:len(verifier)-1]+"X", want) {
		t.Fatal("verifyS256 accepted a different verifier")
	}
	if !validChallenge(want) {
		t.Fatal("validChallenge refused the RFC vector")
	}
}

func TestNewVerifier(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		v := NewVerifier()
		if len(v) != 43 || !ValidVerifier(v) {
			t.Fatalf("NewVerifier = %q: not a 43-character valid verifier", v)
		}
		if seen[v] {
			t.Fatalf("NewVerifier repeated %q", v)
		}
		seen[v] = true
	}
}

func TestValidVerifier(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{strings.Repeat("a", 42), false},
		{strings.Repeat("a", 43), true},
		{strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), false},
		{strings.Repeat("A", 40) + "-._~", true},
		{strings.Repeat("a", 42) + "+", false},
		{strings.Repeat("a", 42) + "/", false},
		{strings.Repeat("a", 42) + "=", false},
		{strings.Repeat("a", 42) + " ", false},
		{strings.Repeat("a", 41) + "é", false},
		{"", false},
	} {
		if got := ValidVerifier(tc.v); got != tc.want {
			t.Errorf("ValidVerifier(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestValidChallenge(t *testing.T) {
	for _, c := range []string{
		"",
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c",     // 42
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM=",   // padded
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",    // std alphabet
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN",    // non-canonical last char
		"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXkdBj", // 46
	} {
		if validChallenge(c) {
			t.Errorf("validChallenge(%q) = true", c)
		}
	}
}
