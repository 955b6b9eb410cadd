package limpwire

import "encoding/base64"

// HashLevel selects how a client computes the auth hash
// (docs/protocols/limp.md section 6.1).
type HashLevel int

const (
	// HashLevel56 hashes [authVar, authVal, password, anonToken]: the
	// Angular SDK 6.0's default, and how 6.0 creates the admin's hash.
	HashLevel56 HashLevel = iota
	// HashLevel50 hashes [authVar, authVal, password].
	HashLevel50
)

func (l HashLevel) String() string {
	if l == HashLevel50 {
		return "5.0"
	}
	return "5.6"
}

// AuthHash returns the "hash" a client sends to session/auth, and the
// value stored in a user's <authVar>_hash: the second segment of an HS256
// JWT whose payload is {"hash":[...]}, i.e. the base64url of that JSON as
// JavaScript writes it. It is an encoding, not a one-way hash: it
// contains the password, which is how 6.0 is built.
func AuthHash(level HashLevel, authVar, authVal, password, anonToken string) string {
	b := append(make([]byte, 0, 128), `{"hash":[`...)
	b = appendJSString(b, authVar)
	b = append(b, ',')
	b = appendJSString(b, authVal)
	b = append(b, ',')
	b = appendJSString(b, password)
	if level != HashLevel50 {
		b = append(b, ',')
		b = appendJSString(b, anonToken)
	}
	b = append(b, "]}"...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ReauthHash returns the hash session/reauth carries for a cached session
// token: base64url of {"token":"<token>"}.
func ReauthHash(token string) string {
	b := append(make([]byte, 0, 64), `{"token":`...)
	b = appendJSString(b, token)
	b = append(b, '}')
	return base64.RawURLEncoding.EncodeToString(b)
}
