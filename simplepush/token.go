package simplepush

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
)

// TokenCodec seals (uaid, channelID) pairs into endpoint tokens with
// AES-256-GCM, so endpoint URLs are unguessable and cannot be forged or
// altered: the token is base64url(nonce || ciphertext || tag) of
// uaid(16 bytes) || channelID, with a random 96-bit nonce. Every server
// node that accepts PUTs for the same users needs the same key.
type TokenCodec struct {
	aead cipher.AEAD
}

// TokenKeySize is the key length NewTokenCodec wants (AES-256).
const TokenKeySize = 32

// maxChannelIDLen bounds what a token may carry (a dashed UUID is 36).
const maxChannelIDLen = 64

// maxTokenLen bounds the token text checked before decoding.
var maxTokenLen = base64.RawURLEncoding.EncodedLen(12 + 16 + maxChannelIDLen + 16)

// tokenAD binds tokens to this use of the key.
var tokenAD = []byte("appwire simplepush endpoint v1")

// NewTokenCodec returns a codec for key (TokenKeySize bytes).
func NewTokenCodec(key []byte) (*TokenCodec, error) {
	if len(key) != TokenKeySize {
		return nil, errors.New("simplepush: endpoint token key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &TokenCodec{aead: aead}, nil
}

// NewTokenKey returns a random key for NewTokenCodec.
func NewTokenKey() []byte {
	k := make([]byte, TokenKeySize)
	_, _ = rand.Read(k)
	return k
}

// Seal returns the token for chid of uaid. uaid must be in the canonical
// 32 lower-case hex form (NormalizeUAID) and chid at most 64 bytes.
func (c *TokenCodec) Seal(uaid, chid string) (string, error) {
	var raw [16]byte
	if len(uaid) != 32 {
		return "", errors.New("simplepush: token: uaid is not 32 hex digits")
	}
	if _, err := hex.Decode(raw[:], []byte(uaid)); err != nil {
		return "", errors.New("simplepush: token: uaid is not 32 hex digits")
	}
	if len(chid) == 0 || len(chid) > maxChannelIDLen {
		return "", errors.New("simplepush: token: bad channel ID length")
	}
	ns := c.aead.NonceSize()
	buf := make([]byte, ns, ns+16+len(chid)+c.aead.Overhead())
	_, _ = rand.Read(buf)
	plain := append(raw[:], chid...)
	buf = c.aead.Seal(buf, buf[:ns], plain, tokenAD)
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// Open returns the uaid (lower-case hex) and channel ID sealed in token,
// or ErrBadToken for anything this codec did not seal.
func (c *TokenCodec) Open(token string) (uaid, chid string, err error) {
	if len(token) > maxTokenLen {
		return "", "", ErrBadToken
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	ns := c.aead.NonceSize()
	if err != nil || len(b) < ns+16+1+c.aead.Overhead() {
		return "", "", ErrBadToken
	}
	plain, err := c.aead.Open(b[ns:ns], b[:ns], b[ns:], tokenAD)
	if err != nil {
		return "", "", ErrBadToken
	}
	return hex.EncodeToString(plain[:16]), string(plain[16:]), nil
}
