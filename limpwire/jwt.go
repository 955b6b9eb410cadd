package limpwire

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"hash"
	"sync"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// The tokens of LIMP are compact JWS, HS256 only (docs/protocols/limp.md
// section 3), keyed with the UTF-8 bytes of a session token.
//
// Why not jwx for every token: jws.Sign and jws.Verify cost 10 to 25
// times one HMAC-SHA256 of the same bytes and about 55 to 65
// allocations each (BenchmarkJWT measures both in one run), and every
// call of a LIMP connection is a token; signing here allocates nothing
// and verifying allocates the payload only. Every client this protocol has (the Angular SDK through
// jsrsasign, this package) writes the same header bytes,
// {"alg":"HS256","typ":"JWT"}, so a token with exactly that header is
// checked here: one HMAC with a keyed state reused from a pool, a
// constant-time compare, nothing else to interpret. A token with any
// other header (other member order, extra members, another algorithm,
// "none") goes to jwx, which parses JOSE headers properly; it is verified
// with jws.WithKey(jwa.HS256, key), so the algorithm stays pinned there
// too and no header (jwk, jku, kid) can choose the key. FuzzVerify checks
// that both paths agree with jwx on every input.

// hs256Header is base64url('{"alg":"HS256","typ":"JWT"}').
const hs256Header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

var b64 = base64.RawURLEncoding.Strict()

// Key signs and verifies tokens with one secret. It is safe for
// concurrent use; keep one per session token rather than making one per
// call.
type Key struct {
	secret []byte
	pool   sync.Pool // of *macState keyed with secret
}

// macState is an HMAC-SHA256 keyed state and the buffer its sums go to
// (so that computing one allocates nothing).
type macState struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

// NewKey returns the key for token (the raw session token, or AnonToken).
func NewKey(token string) *Key {
	k := &Key{secret: []byte(token)}
	k.pool.New = func() any { return &macState{h: hmac.New(sha256.New, k.secret)} }
	return k
}

// Secret returns the token the key was made from.
func (k *Key) Secret() string { return string(k.secret) }

func (k *Key) mac(p []byte) [sha256.Size]byte {
	st := k.pool.Get().(*macState)
	st.h.Write(p)
	st.h.Sum(st.sum[:0])
	sum := st.sum
	st.h.Reset()
	k.pool.Put(st)
	return sum
}

// AppendSign appends the compact JWS of payload (a JSON object) signed
// with HS256 under the SDK's header.
func (k *Key) AppendSign(dst, payload []byte) []byte {
	start := len(dst)
	dst = append(dst, hs256Header...)
	dst = append(dst, '.')
	n := b64.EncodedLen(len(payload))
	dst = grow(dst, n)
	p := dst[len(dst) : len(dst)+n]
	b64.Encode(p, payload)
	dst = dst[:len(dst)+n]
	sum := k.mac(dst[start:])
	dst = append(dst, '.')
	return b64.AppendEncode(dst, sum[:])
}

// Verify checks token's signature and algorithm and returns the decoded
// payload. It does not look at the claims: ParseCall does.
func (k *Key) Verify(token []byte) ([]byte, error) {
	i := bytes.IndexByte(token, '.')
	j := bytes.LastIndexByte(token, '.')
	if i < 0 || i == j || bytes.IndexByte(token[i+1:j], '.') >= 0 {
		return nil, perr(ErrMalformedToken, "not three segments")
	}
	if string(token[:i]) != hs256Header {
		return k.verifyJWX(token)
	}
	var sig [sha256.Size + 1]byte
	if b64.DecodedLen(len(token)-j-1) != sha256.Size {
		return nil, perr(ErrSignature, "signature is not 32 bytes")
	}
	if _, err := b64.Decode(sig[:], token[j+1:]); err != nil {
		return nil, perr(ErrMalformedToken, "signature is not base64url")
	}
	sum := k.mac(token[:j])
	if !hmac.Equal(sum[:], sig[:sha256.Size]) {
		return nil, perr(ErrSignature, "")
	}
	payload, err := b64.AppendDecode(nil, token[i+1:j])
	if err != nil {
		return nil, perr(ErrMalformedToken, "payload is not base64url")
	}
	return payload, nil
}

// verifyJWX handles every header but the SDK's, through jwx with HS256
// pinned.
func (k *Key) verifyJWX(token []byte) ([]byte, error) {
	msg, err := jws.Parse(token, jws.WithCompact())
	if err != nil || len(msg.Signatures()) != 1 {
		return nil, perr(ErrMalformedToken, "not a compact JWS")
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	if h.Algorithm() != jwa.HS256 {
		return nil, perr(ErrAlgorithm, "alg "+string(h.Algorithm()))
	}
	if len(h.Critical()) > 0 {
		return nil, perr(ErrAlgorithm, "crit header")
	}
	payload, err := jws.Verify(token, jws.WithKey(jwa.HS256, k.secret))
	if err != nil {
		return nil, perr(ErrSignature, "")
	}
	if !json.Valid(payload) {
		return nil, perr(ErrMalformedToken, "payload is not JSON")
	}
	return payload, nil
}

// Sign encodes c and signs it: the JWT of a frame.
func (k *Key) Sign(c *Call) (string, error) {
	p, err := c.AppendPayload(make([]byte, 0, 256))
	if err != nil {
		return "", err
	}
	return string(k.AppendSign(nil, p)), nil
}

// grow makes room for n more bytes.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), 2*cap(b)+n)
	copy(nb, b)
	return nb
}
