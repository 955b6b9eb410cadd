package hawk

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"net/url"
	"strconv"
	"strings"
)

// Credentials are a Hawk id, its key and the MAC algorithm. Loop's
// session credentials (see DeriveSessionCredentials) use "sha256" and a
// key that is the 64-character hex string itself, as bytes.
type Credentials struct {
	ID        string
	Key       []byte
	Algorithm string // "sha256" (also when empty) or "sha1"
}

// hashFunc returns the algorithm's constructor, or nil when unknown.
func (c Credentials) hashFunc() func() hash.Hash {
	switch c.Algorithm {
	case "", "sha256":
		return sha256.New
	case "sha1":
		return sha1.New
	}
	return nil
}

func (c Credentials) check() error {
	if len(c.Key) == 0 {
		return ErrInvalidCredentials
	}
	if c.hashFunc() == nil {
		return newErr(ErrInvalidCredentials, "Unknown algorithm")
	}
	return nil
}

// Artifacts are the inputs of a request or response MAC: the request
// line, the host and port the client addressed, and the header's
// attributes (the MAC itself excluded).
type Artifacts struct {
	Method   string
	Resource string // path and query, as sent
	Host     string
	Port     int
	TS       string // decimal unix seconds, as sent
	Nonce    string
	Hash     string // payload hash, optional
	Ext      string
	App, Dlg string
}

// Normalized-string kinds.
const (
	kindHeader   = "header"
	kindResponse = "response"
)

// NormalizedString returns the string a request MAC covers
// ("hawk.1.header\n" ts, nonce, method, resource, host, port, hash, ext
// each followed by a newline, then app and dlg when app is set).
func NormalizedString(a Artifacts) string {
	return string(appendNormalized(nil, kindHeader, &a))
}

// ResponseNormalizedString is NormalizedString for a Server-Authorization
// MAC ("hawk.1.response"); a carries the response's hash and ext.
func ResponseNormalizedString(a Artifacts) string {
	return string(appendNormalized(nil, kindResponse, &a))
}

func appendNormalized(b []byte, kind string, a *Artifacts) []byte {
	b = append(b, "hawk.1."...)
	b = append(b, kind...)
	b = append(b, '\n')
	b = append(b, a.TS...)
	b = append(b, '\n')
	b = append(b, a.Nonce...)
	b = append(b, '\n')
	b = appendUpper(b, a.Method)
	b = append(b, '\n')
	b = append(b, normalizeResource(a.Resource)...)
	b = append(b, '\n')
	b = appendLower(b, a.Host)
	b = append(b, '\n')
	b = strconv.AppendInt(b, int64(a.Port), 10)
	b = append(b, '\n')
	b = append(b, a.Hash...)
	b = append(b, '\n')
	for i := 0; i < len(a.Ext); i++ {
		switch c := a.Ext[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	b = append(b, '\n')
	if a.App != "" {
		b = append(b, a.App...)
		b = append(b, '\n')
		b = append(b, a.Dlg...)
		b = append(b, '\n')
	}
	return b
}

// normalizeResource keeps a path as is and reduces an absolute URL to its
// path and query, as the library does.
func normalizeResource(r string) string {
	if r == "" || r[0] == '/' {
		return r
	}
	u, err := url.Parse(r)
	if err != nil {
		return r
	}
	return u.RequestURI()
}

func appendUpper(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return append(b, strings.ToUpper(s)...)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return append(b, strings.ToLower(s)...)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// macOf computes the base64 MAC of kind over a under creds (checked by the
// caller), appending to dst.
func macOf(dst []byte, creds *Credentials, kind string, a *Artifacts) []byte {
	var buf [512]byte
	n := appendNormalized(buf[:0], kind, a)
	var sum [sha256.Size]byte
	return base64.StdEncoding.AppendEncode(dst, hmacSum(sum[:0], creds, n))
}

// hmacSum appends the HMAC of msg under creds. For SHA-256 with a key of
// at most one block and a short message (every Loop request) it runs the
// RFC 2104 construction over stack buffers with sha256.Sum256, which
// allocates nothing; otherwise it uses crypto/hmac. Both give the same
// bytes (TestHMACSumMatchesCryptoHMAC, FuzzHMACSum).
func hmacSum(dst []byte, creds *Credentials, msg []byte) []byte {
	const block = 64
	if creds.Algorithm != "" && creds.Algorithm != "sha256" || len(creds.Key) > block || len(msg) > 1024 {
		// The copy keeps msg from escaping, so callers' stack buffers stay
		// on the stack in the common case.
		m := hmac.New(creds.hashFunc(), creds.Key)
		m.Write(bytes.Clone(msg))
		return m.Sum(dst)
	}
	var inner [block + 1024]byte
	var outer [block + sha256.Size]byte
	copy(inner[:], creds.Key)
	copy(outer[:], creds.Key)
	for i := 0; i < block; i++ {
		inner[i] ^= 0x36
		outer[i] ^= 0x5c
	}
	copy(inner[block:], msg)
	ih := sha256.Sum256(inner[:block+len(msg)])
	copy(outer[block:], ih[:])
	oh := sha256.Sum256(outer[:])
	return append(dst, oh[:]...)
}

// RequestMAC returns the base64 request MAC of a under creds.
func RequestMAC(creds Credentials, a Artifacts) (string, error) {
	if err := creds.check(); err != nil {
		return "", err
	}
	return string(macOf(nil, &creds, kindHeader, &a)), nil
}

// ResponseMAC returns the base64 Server-Authorization MAC of a under creds.
func ResponseMAC(creds Credentials, a Artifacts) (string, error) {
	if err := creds.check(); err != nil {
		return "", err
	}
	return string(macOf(nil, &creds, kindResponse, &a)), nil
}

// PayloadHash returns the base64 hash of a body as the hash attribute
// carries it: the algorithm's digest of "hawk.1.payload\n", the content
// type without parameters (trimmed, lower case), "\n", the body, "\n".
// algorithm is "sha256" (also when empty) or "sha1".
func PayloadHash(algorithm, contentType string, body []byte) string {
	return string(appendPayloadHash(nil, algorithm, contentType, body))
}

func appendPayloadHash(dst []byte, algorithm, contentType string, body []byte) []byte {
	var h hash.Hash
	if algorithm == "sha1" {
		h = sha1.New()
	} else {
		h = sha256.New()
	}
	h.Write([]byte("hawk.1.payload\n"))
	h.Write([]byte(ContentTypeBase(contentType)))
	h.Write([]byte{'\n'})
	h.Write(body)
	h.Write([]byte{'\n'})
	var sum [sha256.Size]byte
	return base64.StdEncoding.AppendEncode(dst, h.Sum(sum[:0]))
}

// ContentTypeBase returns the content type the payload hash covers: the
// value before any ';', trimmed and in lower case.
func ContentTypeBase(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// TimestampMAC returns the MAC of a server timestamp (unix seconds) that a
// stale-timestamp challenge carries as tsm ("hawk.1.ts\n" ts "\n").
func TimestampMAC(creds Credentials, ts int64) (string, error) {
	if err := creds.check(); err != nil {
		return "", err
	}
	return timestampMAC(&creds, strconv.FormatInt(ts, 10)), nil
}

func timestampMAC(creds *Credentials, ts string) string {
	return base64.StdEncoding.EncodeToString(hmacSum(nil, creds, []byte("hawk.1.ts\n"+ts+"\n")))
}

// equalMAC compares a computed MAC with a received one in time that
// depends only on their lengths (which are public), as hmac.Equal does,
// without converting the string.
func equalMAC(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := range a {
		v |= a[i] ^ b[i]
	}
	return v == 0
}
