package oauth

import (
	"crypto/subtle"
	"net/url"
	"slices"
	"strings"
)

// Redirect parameter names. ParamIPCServer is the draft's one-time
// misspelling of ParamIPCService (the last bullet of the UstadMobile
// HTTP/IPC README); ParseRedirect accepts either, but never both.
const (
	ParamIPCService = "ipc-service"
	ParamIPCServer  = "ipc-server"
)

// Result is an accepted authorization response.
type Result struct {
	Code  string
	State string
	// IPCService names the allow-listed IPC service of the authorization
	// app that issued the code. Empty means the authorization happened
	// online: redeem the code and call the API over the network.
	IPCService string
	// Issuer is the iss parameter (RFC 9207), or "".
	Issuer string
}

// Offline reports whether the code must be redeemed over IPC.
func (r Result) Offline() bool { return r.IPCService != "" }

// ParseRedirect checks the URL the authorization app redirected to and
// returns its code, state and ipc-service. In order, it refuses:
//
//   - a URL that does not target Config.RedirectURI (scheme, host and
//     path) or repeats a response parameter (ErrRedirectMismatch,
//     ErrMalformedRedirect);
//   - a missing or wrong state, compared in constant time
//     (ErrStateMismatch), before believing anything else in the URL;
//   - a missing or wrong iss when Config.Issuer is set (ErrIssuerMismatch);
//   - an error response, as *AuthorizationError;
//   - a missing code (ErrMalformedRedirect);
//   - an ipc-service (or its alias ipc-server) that is not byte for byte
//     one of Config.AllowedServices, including an empty one
//     (ErrServiceNotAllowed).
//
// Every refusal is a *RedirectError except the error response.
func (a *Authorization) ParseRedirect(redirectURL string) (Result, error) {
	u, err := url.Parse(redirectURL)
	if err != nil {
		return Result{}, &RedirectError{Err: ErrMalformedRedirect}
	}
	want, _ := url.Parse(a.cfg.RedirectURI) // checked in NewAuthorization
	if !strings.EqualFold(u.Scheme, want.Scheme) || !strings.EqualFold(u.Host, want.Host) ||
		u.Opaque != want.Opaque || u.Path != want.Path {
		return Result{}, &RedirectError{Err: ErrRedirectMismatch}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Result{}, &RedirectError{Err: ErrMalformedRedirect}
	}
	for _, p := range []string{"code", "state", "iss", "error", "error_description", "error_uri", ParamIPCService, ParamIPCServer} {
		if len(q[p]) > 1 {
			return Result{}, &RedirectError{Param: p, Err: ErrMalformedRedirect}
		}
	}

	state := q.Get("state")
	if !q.Has("state") || subtle.ConstantTimeCompare([]byte(state), []byte(a.state)) != 1 {
		return Result{}, &RedirectError{Param: "state", Err: ErrStateMismatch}
	}
	iss := q.Get("iss")
	if a.cfg.Issuer != "" && (!q.Has("iss") || iss != a.cfg.Issuer) {
		return Result{}, &RedirectError{Param: "iss", Value: iss, Err: ErrIssuerMismatch}
	}
	if q.Has("error") {
		return Result{}, &AuthorizationError{
			Code:        ErrorCode(q.Get("error")),
			Description: q.Get("error_description"),
			URI:         q.Get("error_uri"),
		}
	}
	code := q.Get("code")
	if code == "" {
		return Result{}, &RedirectError{Param: "code", Err: ErrMalformedRedirect}
	}

	res := Result{Code: code, State: state, Issuer: iss}
	switch {
	case q.Has(ParamIPCService) && q.Has(ParamIPCServer):
		// Two names for one thing: an attacker's way to get one checked
		// and the other used.
		return Result{}, &RedirectError{Param: ParamIPCServer, Err: ErrMalformedRedirect}
	case q.Has(ParamIPCService):
		res.IPCService, err = a.allowed(ParamIPCService, q.Get(ParamIPCService))
	case q.Has(ParamIPCServer):
		res.IPCService, err = a.allowed(ParamIPCServer, q.Get(ParamIPCServer))
	}
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// allowed matches service against the allow-list exactly: no case
// folding, trimming or normalisation, so that "Com.Example", a trailing
// newline or a look-alike rune are all different services.
func (a *Authorization) allowed(param, service string) (string, error) {
	if service != "" && slices.Contains(a.cfg.AllowedServices, service) {
		return service, nil
	}
	return "", &RedirectError{Param: param, Value: service, Err: ErrServiceNotAllowed}
}
