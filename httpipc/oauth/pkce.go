package oauth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// MethodS256 is the only PKCE code_challenge_method this package sends
// or accepts (RFC 7636 §4.2). "plain" is refused: it protects nothing
// when the authorization request itself is observed.
const MethodS256 = "S256"

// RFC 7636 §4.1: code_verifier = 43*128unreserved.
const (
	minVerifierLen = 43
	maxVerifierLen = 128
)

// NewVerifier returns a fresh PKCE code verifier: 32 bytes from
// crypto/rand, base64url without padding, 43 characters (the form RFC
// 7636 §4.1 recommends).
func NewVerifier() string { return randomString(32) }

// ChallengeS256 returns BASE64URL-ENCODE(SHA256(ASCII(verifier))), the
// S256 code challenge (RFC 7636 §4.2).
func ChallengeS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// ValidVerifier reports whether v is a syntactically valid code
// verifier: 43 to 128 characters of ALPHA / DIGIT / "-" / "." / "_" /
// "~" (RFC 7636 §4.1).
func ValidVerifier(v string) bool {
	if len(v) < minVerifierLen || len(v) > maxVerifierLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !isUnreserved(v[i]) {
			return false
		}
	}
	return true
}

// validChallenge reports whether c can be an S256 challenge: the
// unpadded base64url of 32 bytes.
func validChallenge(c string) bool {
	if len(c) != base64.RawURLEncoding.EncodedLen(sha256.Size) {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// verifyS256 checks a verifier against a stored challenge in constant
// time (RFC 7636 §4.6).
func verifyS256(verifier, challenge string) bool {
	return subtle.ConstantTimeCompare([]byte(ChallengeS256(verifier)), []byte(challenge)) == 1
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// randomString returns n bytes from crypto/rand as unpadded base64url.
// crypto/rand.Read never fails (it crashes the program instead).
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
