package hawk

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// RequestOptions say what a request header covers beyond the request
// line. The zero value signs with the current time and a random nonce,
// without a payload hash.
type RequestOptions struct {
	// Time is the timestamp to use (default time.Now() + Offset).
	Time time.Time
	// Offset corrects the local clock, e.g. by what a stale-timestamp
	// challenge said (see ParseStaleChallenge).
	Offset time.Duration
	// Nonce (default: 8 random base64url characters).
	Nonce string
	Ext   string
	// HashPayload includes the hash of Payload under ContentType.
	HashPayload bool
	ContentType string
	Payload     []byte
	App, Dlg    string
}

// ErrUnsignable: NewRequestHeader or Sign got a request it cannot sign (no
// host, no method, an id or ext with characters a header cannot carry).
var ErrUnsignable = errors.New("hawk: request cannot be signed")

// NewRequestHeader returns the Authorization value for a request of method
// to u, and the artifacts to check the response with (VerifyResponse).
// The host and port are u's (port 80 for http, 443 for https when u has
// none); the resource is u's path and query.
func NewRequestHeader(creds Credentials, method string, u *url.URL, o RequestOptions) (string, Artifacts, error) {
	if err := creds.check(); err != nil {
		return "", Artifacts{}, err
	}
	if u == nil || u.Host == "" || creds.ID == "" || !validValue(creds.ID) || method == "" {
		return "", Artifacts{}, ErrUnsignable
	}
	port := 80
	if u.Scheme == "https" || u.Scheme == "wss" {
		port = 443
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return "", Artifacts{}, ErrUnsignable
		}
		port = n
	}
	ts := o.Time
	if ts.IsZero() {
		ts = time.Now().Add(o.Offset)
	}
	nonce := o.Nonce
	if nonce == "" {
		var b [6]byte
		rand.Read(b[:])
		nonce = base64.RawURLEncoding.EncodeToString(b[:])
	}
	a := Artifacts{
		Method: method, Resource: u.RequestURI(), Host: u.Hostname(), Port: port,
		TS: strconv.FormatInt(ts.Unix(), 10), Nonce: nonce, Ext: o.Ext, App: o.App,
	}
	if o.App != "" {
		a.Dlg = o.Dlg
	}
	if o.HashPayload {
		a.Hash = PayloadHash(creds.Algorithm, o.ContentType, o.Payload)
	}
	h := Header{ID: creds.ID, TS: a.TS, Nonce: a.Nonce, Hash: a.Hash, Ext: a.Ext, App: a.App, Dlg: a.Dlg,
		MAC: string(macOf(nil, &creds, kindHeader, &a))}
	if !h.Valid() {
		return "", Artifacts{}, ErrUnsignable
	}
	return h.String(), a, nil
}

// Sign sets r's Authorization header (see NewRequestHeader; the payload,
// when HashPayload is set, is o.Payload: Sign does not read r.Body) and
// returns the artifacts to check the response with.
func Sign(r *http.Request, creds Credentials, o RequestOptions) (Artifacts, error) {
	if o.HashPayload && o.ContentType == "" {
		o.ContentType = r.Header.Get("Content-Type")
	}
	h, a, err := NewRequestHeader(creds, r.Method, r.URL, o)
	if err != nil {
		return Artifacts{}, err
	}
	r.Header.Set("Authorization", h)
	return a, nil
}

// ResponseCheck says how strictly VerifyResponse checks a response.
type ResponseCheck struct {
	// Required: a response without Server-Authorization fails.
	Required bool
	// CheckPayload: the header must carry a hash, and it must match
	// Payload under ContentType (the response's Content-Type).
	CheckPayload bool
	ContentType  string
	Payload      []byte
}

// VerifyResponse checks a Server-Authorization value (serverAuth, "" when
// absent) against the artifacts of the request it answers, as the hawk
// client does: the MAC over the request's artifacts with the response's
// hash and ext, then the payload hash when asked for.
func VerifyResponse(creds Credentials, req Artifacts, serverAuth string, c ResponseCheck) error {
	if err := creds.check(); err != nil {
		return err
	}
	if serverAuth == "" {
		if c.Required {
			return ErrMissingServerAuthorization
		}
		return nil
	}
	sa, err := ParseServerAuthorization(serverAuth)
	if err != nil || sa.MAC == "" {
		return ErrInvalidServerAuthorization
	}
	art := req
	art.Hash, art.Ext = sa.Hash, sa.Ext
	var buf [64]byte
	if !equalMAC(macOf(buf[:0], &creds, kindResponse, &art), sa.MAC) {
		return ErrBadResponseMAC
	}
	if !c.CheckPayload {
		return nil
	}
	if sa.Hash == "" {
		return ErrMissingResponseHash
	}
	if !equalMAC(appendPayloadHash(nil, creds.Algorithm, c.ContentType, c.Payload), sa.Hash) {
		return ErrBadResponseHash
	}
	return nil
}

// ParseStaleChallenge reads a WWW-Authenticate challenge. When it carries
// a server timestamp (a stale-timestamp answer), the timestamp's MAC is
// checked under creds and the server's time is returned with ok set; a
// client then retries with RequestOptions.Offset = serverTime - now. A
// challenge with a bad or missing tsm is ErrInvalidServerTimestampHash.
func ParseStaleChallenge(creds Credentials, wwwAuthenticate string) (serverTime time.Time, ok bool, err error) {
	if err := creds.check(); err != nil {
		return time.Time{}, false, err
	}
	var ts, tsm string
	perr := parseAttributes(wwwAuthenticate, challengeKeys, func(name, value string) {
		switch name {
		case "ts":
			ts = value
		case "tsm":
			tsm = value
		}
	})
	if strings.EqualFold(strings.TrimSpace(wwwAuthenticate), "hawk") || errors.Is(perr, ErrMissingAuthorization) {
		// A bare "Hawk" challenge, or another scheme: no timestamp.
		return time.Time{}, false, nil
	}
	if perr != nil {
		return time.Time{}, false, newErr(ErrInvalidServerTimestampHash, "Invalid WWW-Authenticate header")
	}
	if ts == "" {
		return time.Time{}, false, nil
	}
	n, good := parseTS(ts)
	if !good || !equalMAC([]byte(timestampMAC(&creds, ts)), tsm) {
		return time.Time{}, false, ErrInvalidServerTimestampHash
	}
	return time.Unix(n, 0), true, nil
}
