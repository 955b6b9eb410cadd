package limpwire

import (
	"errors"
	"fmt"
	"strconv"
)

// Error is a LIMP reply whose status is not 200, as an error: the server
// builds its replies from it and the client returns it for a failed call.
// errors.Is matches two *Error values with the same Code (and Status when
// both set it), so callers test against the sentinels below:
//
//	if errors.Is(err, limpwire.ErrInvalidCreds) { ... }
type Error struct {
	Status int    // the reply's status: 400, 403, 429, 500, 1008, ...
	Code   string // args.code, e.g. "CORE_SESSION_INVALID_CREDS"
	Msg    string // the reply's msg, exactly as sent

	// Args holds the reply's other args (call_id excluded) when the
	// error came from the network; nil on the sentinels.
	Args map[string]any
}

func (e *Error) Error() string {
	return "limpwire: " + strconv.Itoa(e.Status) + " " + e.Code + ": " + e.Msg
}

// Is reports whether target is an *Error with the same code and, when
// both have one, the same status.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code && (t.Status == 0 || e.Status == 0 || t.Status == e.Status)
}

// WithMsg returns a copy of e with another message (same status and code).
func (e *Error) WithMsg(msg string) *Error {
	c := *e
	c.Msg = msg
	return &c
}

// Errorf returns a copy of e whose message is formatted.
func (e *Error) Errorf(format string, args ...any) *Error {
	return e.WithMsg(fmt.Sprintf(format, args...))
}

// The replies of LIMP APIv6.0 (docs/protocols/limp.md section 9), with
// their exact spellings: clients key on the code, but upstream's messages,
// misspellings included, are kept so that logs and tests line up.
var (
	ErrNoVerify         = &Error{Status: 1008, Code: "CORE_REQ_NO_VERIFY", Msg: "Request token is not accepted."}
	ErrConnClosed       = &Error{Status: 1008, Code: "CORE_CONN_CLOSED", Msg: "Connection closed"}
	ErrInvalidToken     = &Error{Status: 403, Code: "CORE_REQ_INVALID_TOKEN", Msg: "Request token is not accepted."}
	ErrNoEndpoint       = &Error{Status: 400, Code: "CORE_REQ_NO_ENDPOINT", Msg: "Request missing endpoint."}
	ErrInvalidPath      = &Error{Status: 400, Code: "CORE_REQ_INVALID_PATH", Msg: "Endpoint path is invalid."}
	ErrInvalidModule    = &Error{Status: 400, Code: "CORE_REQ_INVALID_MODULE", Msg: "Endpoint module is invalid."}
	ErrInvalidMethod    = &Error{Status: 400, Code: "CORE_REQ_INVALID_METHOD", Msg: "Endpoint method is invalid."}
	ErrGetMethod        = &Error{Status: 400, Code: "CORE_REQ_GET_METHOD", Msg: "Endpoint method is a GET method."}
	ErrAlreadyAuthed    = &Error{Status: 400, Code: "CORE_SESSION_ALREADY_AUTHED", Msg: "You are already authed."}
	ErrAnonSignout      = &Error{Status: 400, Code: "CORE_SESSION_ANON_SIGNOUT", Msg: "Singout is not allowed for '__ANON' user."}
	ErrAnonReauth       = &Error{Status: 400, Code: "CORE_SESSION_ANON_REAUTH", Msg: "Reauth is not required for '__ANON' user."}
	ErrForbidden        = &Error{Status: 403, Code: "CORE_SESSION_FORBIDDEN", Msg: "You don't have permissions to access this endpoint."}
	ErrInvalidCreds     = &Error{Status: 403, Code: "CORE_SESSION_INVALID_CREDS", Msg: "Wrong auth credentials."}
	ErrUserBanned       = &Error{Status: 403, Code: "CORE_SESSION_INVALID_USER", Msg: "User is banned."}
	ErrUserDeleted      = &Error{Status: 403, Code: "CORE_SESSION_INVALID_USER", Msg: "User is deleted."}
	ErrPasswordDisabled = &Error{Status: 403, Code: "CORE_SESSION_INVALID_USER", Msg: "User password is disabled."}
	ErrInvalidSession   = &Error{Status: 403, Code: "CORE_SESSION_INVALID_SESSION", Msg: "Session is invalid."}
	ErrReauthHash       = &Error{Status: 403, Code: "CORE_SESSION_INVALID_REAUTH_HASH", Msg: "Reauth token hash invalid."}
	ErrSessionExpired   = &Error{Status: 403, Code: "CORE_SESSION_SESSION_EXPIRED", Msg: "Session had expired."}
	ErrInvalidWatch     = &Error{Status: 400, Code: "CORE_WATCH_INVALID_WATCH", Msg: "Watch is invalid."}
	ErrSessionQuota     = &Error{Status: 429, Code: "CORE_REQ_SESSION_QUOTA_HIT", Msg: "You have hit calls quota."}
	ErrIPQuota          = &Error{Status: 429, Code: "CORE_REQ_IP_QUOTA_HIT", Msg: "You have hit calls quota from this IP."}
	ErrServer           = &Error{Status: 500, Code: "CORE_SERVER_ERROR", Msg: "Unexpected error has occured."}

	// Not in 6.0: where 6.0 sends nothing (an unknown query operator) or
	// a bare 500 (sid missing, a malformed upload), this server answers
	// these, with the call_id (see the package documentation).
	ErrInvalidCall   = &Error{Status: 400, Code: "CORE_REQ_INVALID_CALL", Msg: "Request call is invalid."}
	ErrInvalidUpload = &Error{Status: 400, Code: "CORE_FILE_INVALID_UPLOAD", Msg: "File upload is invalid."}
	ErrUploadLimit   = &Error{Status: 400, Code: "CORE_FILE_UPLOAD_LIMIT", Msg: "File upload is over the limit of this connection."}
	ErrWatchLimit    = &Error{Status: 400, Code: "CORE_WATCH_LIMIT", Msg: "Too many watch tasks on this connection."}
)

// InvalidQuery is the 400 a method's query_args validation answers, with
// the {PKG}_{MODULE}_ prefix of its module ("CORE_USER_INVALID_QUERY").
func InvalidQuery(prefix, failed string) *Error {
	return &Error{Status: 400, Code: prefix + "INVALID_QUERY", Msg: "Could not match query with any of the required query_args. Failed sets:" + failed}
}

// InvalidDoc is InvalidQuery for doc_args.
func InvalidDoc(prefix, failed string) *Error {
	return &Error{Status: 400, Code: prefix + "INVALID_DOC", Msg: "Could not match doc with any of the required doc_args. Failed sets:" + failed}
}

// Sentinel errors of the wire layer (frames and tokens). Parsers return
// them wrapped in a *ParseError; match them with errors.Is.
var (
	// ErrMalformedFrame: the frame is not a JSON object whose "token" is
	// a string, or is larger than the limit.
	ErrMalformedFrame = errors.New("limpwire: malformed frame")

	// ErrMalformedToken: the token is not three base64url segments, or a
	// segment does not decode, or the header or payload is not a JSON
	// object.
	ErrMalformedToken = errors.New("limpwire: malformed token")

	// ErrAlgorithm: the token's header names another algorithm than
	// HS256 (none included) or carries a "crit" extension.
	ErrAlgorithm = errors.New("limpwire: token algorithm is not HS256")

	// ErrSignature: the HMAC does not match the key.
	ErrSignature = errors.New("limpwire: token signature does not match")

	// ErrExpired: the "exp" claim is in the past.
	ErrExpired = errors.New("limpwire: token has expired")

	// ErrNotYetValid: the "nbf" claim is in the future.
	ErrNotYetValid = errors.New("limpwire: token is not yet valid")

	// ErrAudience: the token has an "aud" claim; LIMP servers configure
	// no audience, so PyJWT, and this package, reject any.
	ErrAudience = errors.New("limpwire: token has an audience")

	// ErrClaims: a registered claim (exp, nbf, iat) is not a number, or
	// a call claim has the wrong JSON type.
	ErrClaims = errors.New("limpwire: invalid token claims")

	// ErrMalformedReply: a server message is not {"status":int,"msg":...,"args":{...}}.
	ErrMalformedReply = errors.New("limpwire: malformed reply")
)

// ParseError is the error of every parser of this package: it wraps one
// of the sentinels above and says what was wrong.
type ParseError struct {
	Err  error  // ErrMalformedFrame, ErrMalformedToken, ErrSignature, ...
	What string // detail for humans
}

func (e *ParseError) Error() string {
	if e.What == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.What
}

// Unwrap returns the sentinel.
func (e *ParseError) Unwrap() error { return e.Err }

func perr(err error, what string) error { return &ParseError{Err: err, What: what} }
