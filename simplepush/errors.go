package simplepush

import (
	"errors"
	"net/http"
	"strconv"
)

// Code is a pushgo service error code (pushgo error.go): the hundreds say
// who is at fault (1xx bad client message, 2xx bad client behaviour, 3xx
// bad app-server input, 4xx storage, 999 internal).
type Code int

// The pushgo error codes, spec section 3.7.
const (
	CodeInvalidHeader      Code = 101
	CodeUnsupportedType    Code = 102
	CodeNoID               Code = 103
	CodeInvalidID          Code = 104
	CodeNoChannel          Code = 105
	CodeInvalidChannel     Code = 106
	CodeNoParams           Code = 107
	CodeInvalidParams      Code = 108
	CodeNoHandshake        Code = 201
	CodeExistingID         Code = 202
	CodeTooManyPings       Code = 203
	CodeNonexistentChannel Code = 204
	CodeBadVersion         Code = 301
	CodeDataTooLong        Code = 302
	CodeInvalidKey         Code = 401
	CodeRecordUpdateFailed Code = 402
	CodeServerError        Code = 999
)

type codeInfo struct {
	status int
	text   string
}

// codes is the pushgo table: code -> (status, message).
var codes = map[Code]codeInfo{
	CodeInvalidHeader:      {http.StatusUnauthorized, "Invalid command header"},
	CodeUnsupportedType:    {http.StatusUnauthorized, "Unsupported command type"},
	CodeNoID:               {http.StatusUnauthorized, "Missing device ID"},
	CodeInvalidID:          {http.StatusServiceUnavailable, "Invalid device ID"},
	CodeNoChannel:          {http.StatusUnauthorized, "Missing channel ID"},
	CodeInvalidChannel:     {http.StatusServiceUnavailable, "Invalid channel ID"},
	CodeNoParams:           {http.StatusUnauthorized, "Missing one or more required command fields"},
	CodeInvalidParams:      {http.StatusUnauthorized, "Command contains one or more invalid fields"},
	CodeNoHandshake:        {http.StatusUnauthorized, "Command requires handshake"},
	CodeExistingID:         {http.StatusServiceUnavailable, "Device ID already assigned to this client"},
	CodeTooManyPings:       {http.StatusUnauthorized, "Client sent too many pings"},
	CodeNonexistentChannel: {http.StatusServiceUnavailable, "The specified channel ID does not exist"},
	CodeBadVersion:         {http.StatusBadRequest, "Invalid update version"},
	CodeDataTooLong:        {http.StatusRequestEntityTooLarge, "Request payload too large"},
	CodeInvalidKey:         {http.StatusInternalServerError, "Invalid channel primary key"},
	CodeRecordUpdateFailed: {http.StatusServiceUnavailable, "Error updating channel record"},
	CodeServerError:        {http.StatusInternalServerError, "Internal server error"},
}

// Status returns the status pushgo answers with for c (500 for an unknown
// code).
func (c Code) Status() int {
	if i, ok := codes[c]; ok {
		return i.status
	}
	return http.StatusInternalServerError
}

// String returns pushgo's message for c.
func (c Code) String() string {
	if i, ok := codes[c]; ok {
		return i.text
	}
	return "simplepush code " + strconv.Itoa(int(c))
}

// Error is a protocol error with its pushgo code. The Err* values below
// are sentinels of this type; errors.Is matches any *Error of the same
// code, so a detailed error (Detail set) is still Is its sentinel.
type Error struct {
	Code   Code
	Detail string // optional, for humans; never sent on the wire
}

func (e *Error) Error() string {
	s := "simplepush: " + e.Code.String()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Status is the WebSocket reply status or HTTP status of e.
func (e *Error) Status() int { return e.Code.Status() }

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func errCode(c Code, detail string) error { return &Error{Code: c, Detail: detail} }

// Sentinels, one per pushgo code. Compare with errors.Is.
var (
	ErrInvalidHeader      error = &Error{Code: CodeInvalidHeader}
	ErrUnsupportedType    error = &Error{Code: CodeUnsupportedType}
	ErrNoID               error = &Error{Code: CodeNoID}
	ErrInvalidID          error = &Error{Code: CodeInvalidID}
	ErrNoChannel          error = &Error{Code: CodeNoChannel}
	ErrInvalidChannel     error = &Error{Code: CodeInvalidChannel}
	ErrNoParams           error = &Error{Code: CodeNoParams}
	ErrInvalidParams      error = &Error{Code: CodeInvalidParams}
	ErrNoHandshake        error = &Error{Code: CodeNoHandshake}
	ErrExistingID         error = &Error{Code: CodeExistingID}
	ErrTooManyPings       error = &Error{Code: CodeTooManyPings}
	ErrNonexistentChannel error = &Error{Code: CodeNonexistentChannel}
	ErrBadVersion         error = &Error{Code: CodeBadVersion}
	ErrDataTooLong        error = &Error{Code: CodeDataTooLong}
	ErrInvalidKey         error = &Error{Code: CodeInvalidKey}
	ErrRecordUpdateFailed error = &Error{Code: CodeRecordUpdateFailed}
	ErrServerError        error = &Error{Code: CodeServerError}
)

// Errors that have no pushgo code.
var (
	// ErrMalformed: the frame is not a JSON object. Both upstream servers
	// close the socket without a reply.
	ErrMalformed = errors.New("simplepush: malformed JSON message")

	// ErrBadToken: an endpoint token that does not decrypt and
	// authenticate (HTTP 404).
	ErrBadToken = errors.New("simplepush: invalid endpoint token")

	// ErrUnknownChannel: the channel is not registered to that UAID, or
	// it was unregistered (HTTP 410 on the endpoint).
	ErrUnknownChannel = errors.New("simplepush: unknown or unregistered channel")

	// ErrUnknownUAID: no record for that UAID.
	ErrUnknownUAID = errors.New("simplepush: unknown UAID")

	// ErrClosed: the server or store was closed.
	ErrClosed = errors.New("simplepush: closed")
)

// CodeOf returns the pushgo code of err: the code of an *Error in its
// chain, CodeServerError for any other non-nil error, 0 for nil.
func CodeOf(err error) Code {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeServerError
}
