package hawk

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// SessionTokenInfo is the HKDF info string of Loop (and Firefox Accounts)
// session tokens.
const SessionTokenInfo = "identity.mozilla.com/picl/v1/sessionToken"

// SessionTokenLen is the length of a session token in hex characters (32
// random bytes).
const SessionTokenLen = 64

// ErrBadSessionToken: a session token that is not 64 hex characters.
var ErrBadSessionToken = errors.New("hawk: session token must be 64 hex characters")

// DeriveSessionCredentials turns a Loop session token (the
// Hawk-Session-Token header: 32 bytes as 64 hex characters) into Hawk
// credentials, as express-hawkauth and Firefox do: 64 bytes of
// HKDF-SHA256 over the token's bytes (no salt, info SessionTokenInfo); the
// id is the hex of the first 32, the key the hex of the last 32, and the
// key is used as the HMAC key in that hex form (64 ASCII bytes), not
// decoded. The algorithm is sha256.
func DeriveSessionCredentials(token string) (Credentials, error) {
	if len(token) != SessionTokenLen {
		return Credentials{}, ErrBadSessionToken
	}
	ikm, err := hex.DecodeString(token)
	if err != nil {
		return Credentials{}, ErrBadSessionToken
	}
	km, err := hkdf.Key(sha256.New, ikm, nil, SessionTokenInfo, 64)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{
		ID:        hex.EncodeToString(km[:32]),
		Key:       []byte(hex.EncodeToString(km[32:])),
		Algorithm: "sha256",
	}, nil
}

// NewSessionToken draws a session token from crypto/rand and derives its
// credentials. A server sends the token (Hawk-Session-Token) and stores
// only what it needs to find the key from the id.
func NewSessionToken() (token string, creds Credentials, err error) {
	var b [32]byte
	rand.Read(b[:])
	token = hex.EncodeToString(b[:])
	creds, err = DeriveSessionCredentials(token)
	return token, creds, err
}
