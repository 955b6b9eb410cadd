package oauth

import (
	"errors"
	"fmt"
	"strings"
)

// ErrorCode is an OAuth 2.0 error code: the value of the "error"
// parameter of an authorization response (RFC 6749 §4.1.2.1), a token
// endpoint response (§5.2) or a Bearer challenge (RFC 6750 §3.1).
type ErrorCode string

// The error codes this package sends or recognises.
const (
	InvalidRequest          ErrorCode = "invalid_request"           // RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1
	InvalidClient           ErrorCode = "invalid_client"            // RFC 6749 §5.2
	InvalidGrant            ErrorCode = "invalid_grant"             // RFC 6749 §5.2
	UnauthorizedClient      ErrorCode = "unauthorized_client"       // RFC 6749 §4.1.2.1, §5.2
	UnsupportedGrantType    ErrorCode = "unsupported_grant_type"    // RFC 6749 §5.2
	InvalidScope            ErrorCode = "invalid_scope"             // RFC 6749 §4.1.2.1, §5.2
	AccessDenied            ErrorCode = "access_denied"             // RFC 6749 §4.1.2.1
	UnsupportedResponseType ErrorCode = "unsupported_response_type" // RFC 6749 §4.1.2.1
	ServerError             ErrorCode = "server_error"              // RFC 6749 §4.1.2.1
	TemporarilyUnavailable  ErrorCode = "temporarily_unavailable"   // RFC 6749 §4.1.2.1
	InvalidToken            ErrorCode = "invalid_token"             // RFC 6750 §3.1
	InsufficientScope       ErrorCode = "insufficient_scope"        // RFC 6750 §3.1
)

func (c ErrorCode) String() string { return string(c) }

// Sentinels. Test with errors.Is; the typed errors below wrap them.
var (
	// ErrStateMismatch: the redirect's state is missing or is not the one
	// this Authorization sent (RFC 6749 §10.12: CSRF, or a stale flow).
	ErrStateMismatch = errors.New("oauth: state mismatch")
	// ErrServiceNotAllowed: the redirect names an ipc-service that is not
	// on Config.AllowedServices. Binding to it could hand the code and
	// the verifier to a rogue app (httpipc spec §3.7).
	ErrServiceNotAllowed = errors.New("oauth: ipc-service not on the allow-list")
	// ErrIssuerMismatch: Config.Issuer is set and the redirect's iss is
	// missing or different (RFC 9207 §2.4: mix-up attack).
	ErrIssuerMismatch = errors.New("oauth: issuer mismatch")
	// ErrRedirectMismatch: the URL given to ParseRedirect does not target
	// Config.RedirectURI.
	ErrRedirectMismatch = errors.New("oauth: redirect does not target the configured redirect URI")
	// ErrMalformedRedirect: the redirect cannot be parsed, repeats a
	// parameter (RFC 6749 §3.1) or lacks the code.
	ErrMalformedRedirect = errors.New("oauth: malformed redirect")
	// ErrResponseTooLarge: the token endpoint's body exceeds
	// Config.MaxResponseBytes.
	ErrResponseTooLarge = errors.New("oauth: token response too large")
	// ErrBadTokenResponse: the token endpoint answered 200 but not with a
	// usable RFC 6749 §5.1 Bearer token, or answered a status and body
	// that are not an RFC 6749 §5.2 error.
	ErrBadTokenResponse = errors.New("oauth: bad token response")
)

// RedirectError reports a redirect that ParseRedirect refused. It wraps
// one of ErrStateMismatch, ErrServiceNotAllowed, ErrIssuerMismatch,
// ErrRedirectMismatch or ErrMalformedRedirect.
type RedirectError struct {
	// Param is the parameter at fault ("state", "ipc-service",
	// "ipc-server", "iss", "code", ...), or "" for the URL as a whole.
	Param string
	// Value is the offending value for ipc-service, ipc-server and iss.
	// It is empty for state and code, which are secrets.
	Value string
	Err   error
}

func (e *RedirectError) Error() string {
	var sb strings.Builder
	sb.WriteString(e.Err.Error())
	if e.Param != "" {
		sb.WriteString(" (")
		sb.WriteString(e.Param)
		if e.Value != "" {
			fmt.Fprintf(&sb, "=%q", e.Value)
		}
		sb.WriteString(")")
	}
	return sb.String()
}

func (e *RedirectError) Unwrap() error { return e.Err }

// AuthorizationError is an error redirect from the authorization
// endpoint (RFC 6749 §4.1.2.1), e.g. access_denied. ParseRedirect
// returns it only after the state has been checked.
type AuthorizationError struct {
	Code        ErrorCode
	Description string // error_description, may be empty
	URI         string // error_uri, may be empty
}

func (e *AuthorizationError) Error() string {
	return describe("oauth: authorization failed", e.Code, e.Description)
}

// TokenError is an RFC 6749 §5.2 error response from the token
// endpoint, e.g. invalid_grant for a used, expired or mismatched code.
type TokenError struct {
	Code        ErrorCode
	Description string // error_description, may be empty
	URI         string // error_uri, may be empty
	StatusCode  int    // the HTTP status, 400 or 401 from a conforming server
}

func (e *TokenError) Error() string {
	return describe(fmt.Sprintf("oauth: token endpoint: status %d", e.StatusCode), e.Code, e.Description)
}

// describe quotes peer-supplied text so that it cannot forge log lines.
func describe(prefix string, code ErrorCode, desc string) string {
	s := prefix + ": " + fmt.Sprintf("%q", string(code))
	if desc != "" {
		s += ": " + fmt.Sprintf("%q", desc)
	}
	return s
}
