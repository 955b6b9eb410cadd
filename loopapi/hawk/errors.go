package hawk

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// kind identifies a class of Hawk failure; errors.Is compares kinds, so a
// detailed error (another message, a timestamp) still Is its sentinel.
type kind uint8

const (
	kindMissing kind = iota + 1
	kindBadHeader
	kindMissingAttributes
	kindInvalidHost
	kindUnknownCredentials
	kindBadMAC
	kindMissingPayloadHash
	kindBadPayloadHash
	kindInvalidNonce
	kindStaleTimestamp
	kindInvalidCredentials
	kindBadResponseMAC
	kindMissingResponseHash
	kindBadResponseHash
	kindMissingServerAuthorization
	kindInvalidServerAuthorization
	kindInvalidServerTimestamp
)

// Error is a Hawk failure, carrying what the hawk npm library puts in its
// Boom error: the HTTP status (400 for a malformed request, 401 for a
// failed authentication, 500 for a client-side or configuration problem),
// the message ("Bad mac", "Stale timestamp", ...) and, for 401s, the
// WWW-Authenticate challenge. Payload returns the Boom payload object that
// upstream servers send as the "error" member of their error body.
//
// Compare with errors.Is against the Err* sentinels; errors.As gives the
// details (for a stale timestamp, the server's time in TS and its MAC in
// TSM).
type Error struct {
	kind    kind
	Status  int    // 400, 401 or 500
	Message string // upstream's message; empty for a missing Authorization
	// TS and TSM are set for a stale timestamp: the server's clock in unix
	// seconds and its MAC (hawk.1.ts) under the client's key.
	TS  int64
	TSM string
}

// Sentinels, one per kind of failure. Server side (what Authenticate
// returns):
var (
	// ErrMissingAuthorization: no Authorization header, or a scheme other
	// than Hawk (401 with "WWW-Authenticate: Hawk" and no message).
	ErrMissingAuthorization error = &Error{kind: kindMissing, Status: http.StatusUnauthorized}
	// ErrBadHeader: the Authorization header is too long or malformed (400;
	// messages "Header length too long", "Invalid header syntax", "Bad
	// header format", "Unknown attribute: x", "Bad attribute value: x",
	// "Duplicate attribute: x").
	ErrBadHeader error = &Error{kind: kindBadHeader, Status: http.StatusBadRequest, Message: "Bad header format"}
	// ErrMissingAttributes: id, ts, nonce or mac is absent (400).
	ErrMissingAttributes error = &Error{kind: kindMissingAttributes, Status: http.StatusBadRequest, Message: "Missing attributes"}
	// ErrInvalidHost: no usable Host header (400).
	ErrInvalidHost error = &Error{kind: kindInvalidHost, Status: http.StatusBadRequest, Message: "Invalid Host header"}
	// ErrUnknownCredentials: the id is not known (401). A CredentialsFunc
	// returns it (or an error that Is it) for an unknown id.
	ErrUnknownCredentials error = &Error{kind: kindUnknownCredentials, Status: http.StatusUnauthorized, Message: "Unknown credentials"}
	// ErrBadMAC: the request MAC does not match (401).
	ErrBadMAC error = &Error{kind: kindBadMAC, Status: http.StatusUnauthorized, Message: "Bad mac"}
	// ErrMissingPayloadHash: payload verification was asked for and the
	// header carries no hash (401).
	ErrMissingPayloadHash error = &Error{kind: kindMissingPayloadHash, Status: http.StatusUnauthorized, Message: "Missing required payload hash"}
	// ErrBadPayloadHash: the body does not match the header's hash (401).
	ErrBadPayloadHash error = &Error{kind: kindBadPayloadHash, Status: http.StatusUnauthorized, Message: "Bad payload hash"}
	// ErrInvalidNonce: the nonce was already used with this id and
	// timestamp (401).
	ErrInvalidNonce error = &Error{kind: kindInvalidNonce, Status: http.StatusUnauthorized, Message: "Invalid nonce"}
	// ErrStaleTimestamp: the timestamp is outside the allowed skew (401,
	// with the server's time and its MAC in the challenge).
	ErrStaleTimestamp error = &Error{kind: kindStaleTimestamp, Status: http.StatusUnauthorized, Message: "Stale timestamp"}
	// ErrInvalidCredentials: credentials with no key or an unknown
	// algorithm (500; a configuration problem, never the client's fault).
	ErrInvalidCredentials error = &Error{kind: kindInvalidCredentials, Status: http.StatusInternalServerError, Message: "Invalid credentials"}
)

// Client side (what VerifyResponse and ParseStaleChallenge return):
var (
	ErrBadResponseMAC             error = &Error{kind: kindBadResponseMAC, Status: http.StatusInternalServerError, Message: "Bad response mac"}
	ErrMissingResponseHash        error = &Error{kind: kindMissingResponseHash, Status: http.StatusInternalServerError, Message: "Missing response hash attribute"}
	ErrBadResponseHash            error = &Error{kind: kindBadResponseHash, Status: http.StatusInternalServerError, Message: "Bad response payload mac"}
	ErrMissingServerAuthorization error = &Error{kind: kindMissingServerAuthorization, Status: http.StatusInternalServerError, Message: "Missing Server-Authorization header"}
	ErrInvalidServerAuthorization error = &Error{kind: kindInvalidServerAuthorization, Status: http.StatusInternalServerError, Message: "Invalid Server-Authorization header"}
	ErrInvalidServerTimestampHash error = &Error{kind: kindInvalidServerTimestamp, Status: http.StatusInternalServerError, Message: "Invalid server timestamp hash"}
)

func newErr(sentinel error, message string) *Error {
	e := *sentinel.(*Error)
	if message != "" {
		e.Message = message
	}
	return &e
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "hawk: " + strings.ToLower(http.StatusText(e.Status))
	}
	return "hawk: " + e.Message
}

// Is reports whether target is an *Error of the same kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.kind == e.kind
}

// WWWAuthenticate returns the challenge upstream sends with e, or "" when
// e carries none (400s and 500s): `Hawk` for a missing header,
// `Hawk error="Bad mac"`, `Hawk ts="1400000000", tsm="...", error="Stale
// timestamp"`.
func (e *Error) WWWAuthenticate() string {
	if e.Status != http.StatusUnauthorized {
		return ""
	}
	if e.kind == kindMissing {
		return "Hawk"
	}
	var b strings.Builder
	b.WriteString("Hawk")
	if e.kind == kindStaleTimestamp {
		b.WriteString(` ts="`)
		b.WriteString(strconv.FormatInt(e.TS, 10))
		b.WriteString(`", tsm="`)
		b.WriteString(e.TSM)
		b.WriteString(`",`)
	}
	b.WriteString(` error="`)
	b.WriteString(escapeAttribute(e.Message))
	b.WriteString(`"`)
	return b.String()
}

// Payload is the Boom payload object of a Hawk failure, as upstream
// servers send it: {"statusCode":401,"error":"Unauthorized","message":"Bad
// mac","attributes":{"error":"Bad mac"}}. Message is absent for a missing
// Authorization header; Attributes only on 401s that have a message.
type Payload struct {
	StatusCode int         `json:"statusCode"`
	Error      string      `json:"error"`
	Message    string      `json:"message,omitempty"`
	Attributes *Attributes `json:"attributes,omitempty"`
}

// Attributes are the challenge attributes of a Boom 401 payload. TS (a
// JSON number, as upstream) and TSM are present for a stale timestamp.
type Attributes struct {
	TS    int64  `json:"ts,omitempty"`
	TSM   string `json:"tsm,omitempty"`
	Error string `json:"error"`
}

// Payload returns e's Boom payload object.
func (e *Error) Payload() Payload {
	p := Payload{StatusCode: e.Status, Error: http.StatusText(e.Status), Message: e.Message}
	if e.Status == http.StatusInternalServerError {
		// Boom hides the message of a 500.
		p.Message = "An internal server error occurred"
	}
	if e.Status == http.StatusUnauthorized && e.Message != "" {
		a := &Attributes{Error: e.Message}
		if e.kind == kindStaleTimestamp {
			a.TS, a.TSM = e.TS, e.TSM
		}
		p.Attributes = a
	}
	return p
}

// MarshalJSON writes e's Boom payload object.
func (e *Error) MarshalJSON() ([]byte, error) { return json.Marshal(e.Payload()) }

// escapeAttribute escapes a challenge attribute value as Hoek does.
func escapeAttribute(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return s
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	return strings.ReplaceAll(s, `"`, `\"`)
}
