package afbproto

import (
	"fmt"
	"net/http"
	"strings"
)

// The session, token and status rules that differ between dialects (spec
// §1.3-§1.5, §2.3, §3.1, §3.4, §4.1, §4.2). Everything else is shared.

// tokenIsPermission reports whether d follows AGL-final's token model:
// no initial token, tokens are opaque and their validity is a permission
// check (Options.TokenValidator), nothing is checked at the WebSocket
// upgrade, and a call's token replaces its connection's token.
func (d Dialect) tokenIsPermission() bool { return d == DialectAGLFinal || d == DialectLibafb }

// sendsBack reports whether replies carry request.token and request.uuid
// (and WebSocket replies a 4th element).
func (d Dialect) sendsBack() bool { return d == DialectV6 || d == DialectV1 }

// framework replies.

func (b *Binder) replyUnknownAPI(api, verb string) *Reply {
	if b.opts.Dialect == DialectV1 {
		return &Reply{Status: StatusFail, Info: "api not found"}
	}
	return &Reply{Status: StatusUnknownAPI, Info: fmt.Sprintf("api %s not found (for verb %s)", api, verb)}
}

func (b *Binder) replyUnknownVerb(api, verb string) *Reply {
	return &Reply{Status: StatusUnknownVerb, Info: fmt.Sprintf("verb %s unknown within api %s", verb, api)}
}

// replyBadToken is the answer to a failed token check.
func (b *Binder) replyBadToken() *Reply {
	switch b.opts.Dialect {
	case DialectV1:
		return &Reply{Status: StatusFailed, Info: InfoInvalidToken}
	case DialectAGLFinal, DialectLibafb:
		return &Reply{Status: StatusInvalidToken, Info: InfoInvalidTokenFinal}
	}
	return &Reply{Status: StatusDenied, Info: InfoInvalidToken}
}

// replyBadLOA is the answer to a failed LOA test.
func (b *Binder) replyBadLOA() *Reply {
	switch b.opts.Dialect {
	case DialectV1:
		return &Reply{Status: StatusFailed, Info: InfoInvalidLOA}
	case DialectAGLFinal, DialectLibafb:
		return &Reply{Status: StatusInsufficientScope, Info: InfoInvalidLOA}
	}
	return &Reply{Status: StatusDenied, Info: InfoInvalidLOA}
}

// httpStatus returns the HTTP status of an API reply with that status
// string, and the WWW-Authenticate value to send with it ("" for none).
// V1-2016 and V6-2019 always answer 200 (spec §1.5).
func httpStatus(d Dialect, status string) (code int, wwwAuth string) {
	if !d.tokenIsPermission() {
		return http.StatusOK, ""
	}
	switch status {
	case StatusInvalidToken:
		return http.StatusUnauthorized, `error="invalid_token"`
	case StatusInsufficientScope:
		return http.StatusForbidden, `error="insufficient_scope"`
	}
	if d == DialectLibafb {
		switch status {
		case StatusInternalError, StatusOutOfMemory:
			return http.StatusInternalServerError, ""
		case StatusUnknownAPI, StatusUnknownVerb:
			return http.StatusNotFound, ""
		case StatusNotAvailable:
			return http.StatusNotImplemented, ""
		}
	}
	return http.StatusOK, ""
}

// libafbCodes are the request.code values of libafb's framework errors
// (afb-errno.h). Other statuses keep the Code the Reply carries.
var libafbCodes = map[string]int{
	StatusInternalError:     -1,
	StatusOutOfMemory:       -2,
	StatusUnknownAPI:        -3,
	StatusUnknownVerb:       -4,
	StatusNotAvailable:      -5,
	StatusInvalidToken:      -7,
	StatusInsufficientScope: -9,
	StatusNotReplied:        -11,
	StatusInvalidRequest:    -12,
	StatusDisconnected:      -15,
}

// appendReply encodes rep in the binder's dialect, filling in libafb's
// code for the framework statuses.
func (b *Binder) appendReply(dst []byte, rep *Reply) []byte {
	if b.opts.Dialect == DialectLibafb && rep.Code == 0 {
		rep.Code = libafbCodes[rep.Status]
	}
	return AppendReply(dst, rep, b.opts.Dialect)
}

// bearer returns the token of an "Authorization: Bearer <tok>" header.
func bearer(h http.Header) string {
	v := strings.TrimSpace(h.Get("Authorization"))
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}
