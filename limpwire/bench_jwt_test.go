package limpwire

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// benchPayload is a typical call: a read with a small query.
func benchPayload(b *testing.B) []byte {
	p, err := (&Call{
		Endpoint: "user/read", SID: AnonSID, Token: AnonToken, CallID: "k3j9x1",
		Query: []any{map[string]any{"email": "a@b.c"}, map[string]any{"$limit": 10.0}},
		Doc:   map[string]any{}, IssuedAt: 1700000000, Expires: 1700086400,
	}).AppendPayload(nil)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkJWT compares, in one run, signing and verifying a call's token
// with the raw HMAC-SHA256 of the same bytes (header.payload), and with
// jwx's generic jws.Sign / jws.Verify (the path not taken for the SDK's
// header; see jwt.go).
func BenchmarkJWT(b *testing.B) {
	payload := benchPayload(b)
	key := NewKey(AnonToken)
	token := key.AppendSign(nil, payload)
	signed := token[:len(token)-44] // header.payload: what the HMAC covers
	b.Run("HMACBaseline", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(signed)))
		for b.Loop() {
			m := hmac.New(sha256.New, []byte(AnonToken))
			m.Write(signed)
			m.Sum(nil)
		}
	})
	b.Run("HMACBaselineReusedKey", func(b *testing.B) {
		// The same with the keyed state kept, as Key keeps it: the
		// fairest baseline for Sign and Verify.
		b.ReportAllocs()
		b.SetBytes(int64(len(signed)))
		m := hmac.New(sha256.New, []byte(AnonToken))
		var sum [sha256.Size]byte
		for b.Loop() {
			m.Reset()
			m.Write(signed)
			m.Sum(sum[:0])
		}
	})
	b.Run("Sign", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(signed)))
		buf := make([]byte, 0, 1024)
		for b.Loop() {
			buf = key.AppendSign(buf[:0], payload)
		}
	})
	b.Run("Verify", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(signed)))
		for b.Loop() {
			if _, err := key.Verify(token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("JWXSign", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jws.Sign(payload, jws.WithKey(jwa.HS256, []byte(AnonToken))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("JWXVerify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jws.Verify(token, jws.WithKey(jwa.HS256, []byte(AnonToken))); err != nil {
				b.Fatal(err)
			}
		}
	})
}
