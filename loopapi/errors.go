package loopapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// Errno is the number in the "errno" key of an error body (upstream
// loop/errno.json). An Errno is also an error, so a client can match the
// answer it got with errors.Is(err, loopapi.ErrnoInvalidToken).
type Errno int

// The errno table (docs/protocols/loop.md section 2).
const (
	ErrnoInvalidToken          Errno = 105 // call-url or room token not found (404)
	ErrnoBadJSON               Errno = 106 // body not JSON, or JSON not acceptable (406)
	ErrnoInvalidParameters     Errno = 107 // a validation failure (400)
	ErrnoMissingParameters     Errno = 108 // "Missing: a, b" (400)
	ErrnoInvalidAuthToken      Errno = 110 // 401, and 403 for unregistered users
	ErrnoExpired               Errno = 111 // 410: the callee has no SimplePush URL
	ErrnoRequestTooLarge       Errno = 113 // a body or a rooms context is too large
	ErrnoInvalidOAuthState     Errno = 114 // fxa-oauth (not served here)
	ErrnoClientReachedCapacity Errno = 121 // rooms: too many participants for a client
	ErrnoUserUnavailable       Errno = 122 // POST /calls: no callee found (400)
	ErrnoBackend               Errno = 201 // 503: the store failed
	ErrnoRoomFull              Errno = 202 // rooms: the room is full
	ErrnoNotRoomParticipant    Errno = 203 // rooms: not a participant
	ErrnoNoLongerSupported     Errno = 204 // POST /call-url in the head profile (405)
	ErrnoUndefined             Errno = 999 // 404 unknown route, 403 rooms, 500
)

var errnoNames = map[Errno]string{
	ErrnoInvalidToken:          "INVALID_TOKEN",
	ErrnoBadJSON:               "BADJSON",
	ErrnoInvalidParameters:     "INVALID_PARAMETERS",
	ErrnoMissingParameters:     "MISSING_PARAMETERS",
	ErrnoInvalidAuthToken:      "INVALID_AUTH_TOKEN",
	ErrnoExpired:               "EXPIRED",
	ErrnoRequestTooLarge:       "REQUEST_TOO_LARGE",
	ErrnoInvalidOAuthState:     "INVALID_OAUTH_STATE",
	ErrnoClientReachedCapacity: "CLIENT_REACHED_CAPACITY",
	ErrnoUserUnavailable:       "USER_UNAVAILABLE",
	ErrnoBackend:               "BACKEND",
	ErrnoRoomFull:              "ROOM_FULL",
	ErrnoNotRoomParticipant:    "NOT_ROOM_PARTICIPANT",
	ErrnoNoLongerSupported:     "NO_LONGER_SUPPORTED",
	ErrnoUndefined:             "UNDEFINED",
}

// String is upstream's name, e.g. "INVALID_TOKEN".
func (e Errno) String() string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return "errno " + strconv.Itoa(int(e))
}

func (e Errno) Error() string { return "loopapi: " + e.String() }

// Error is the error body every endpoint answers with (section 2):
//
//	{"code": <http status>, "errno": <int>, "error": <string|object>, "message": <opt>, "info": <opt>}
//
// Error is also what the Client returns for such an answer; errors.Is
// matches its Errno.
type Error struct {
	Code  int    // the HTTP status, repeated as "code"
	Errno Errno  // "errno"
	Text  string // "error" when it is a string
	// Auth is "error" when it is an object: the Boom payload upstream
	// sends for Hawk failures ({"statusCode":401,"error":"Unauthorized",
	// "message":"Bad mac","attributes":{...}}). When set, Text is ignored.
	Auth    json.RawMessage
	Message string          // "message" (rooms), omitted when empty
	Info    json.RawMessage // "info" (rooms), omitted when empty

	// Header holds headers to send with the error (WWW-Authenticate,
	// Timestamp); the server sets them, the client fills them from the
	// answer.
	Header http.Header
}

// NewError builds an error body with a string "error".
func NewError(code int, errno Errno, text string) *Error {
	return &Error{Code: code, Errno: errno, Text: text}
}

func (e *Error) Error() string {
	s := "loopapi: " + strconv.Itoa(e.Code) + " errno " + strconv.Itoa(int(e.Errno))
	switch {
	case len(e.Auth) > 0:
		s += ": " + string(e.Auth)
	case e.Text != "":
		s += ": " + e.Text
	}
	if e.Message != "" {
		s += " (" + e.Message + ")"
	}
	return s
}

// Unwrap returns the Errno, so errors.Is(err, ErrnoRoomFull) works.
func (e *Error) Unwrap() error { return e.Errno }

// AuthMessage is the "message" of a Boom payload ("Bad mac", "Stale
// timestamp", ...), or "" when "error" is a string.
func (e *Error) AuthMessage() string {
	var b struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(e.Auth, &b)
	return b.Message
}

// MarshalJSON writes the body with each key present only when truthy, as
// upstream's sendError does.
func (e *Error) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 96)
	b = append(b, `{"code":`...)
	b = strconv.AppendInt(b, int64(e.Code), 10)
	if e.Errno != 0 {
		b = append(b, `,"errno":`...)
		b = strconv.AppendInt(b, int64(e.Errno), 10)
	}
	switch {
	case len(e.Auth) > 0:
		b = append(b, `,"error":`...)
		b = append(b, e.Auth...)
	case e.Text != "":
		b = append(b, `,"error":`...)
		b = appendJSONString(b, e.Text)
	}
	if e.Message != "" {
		b = append(b, `,"message":`...)
		b = appendJSONString(b, e.Message)
	}
	if len(e.Info) > 0 && !bytes.Equal(e.Info, []byte("null")) {
		b = append(b, `,"info":`...)
		b = append(b, e.Info...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads an error body; "error" may be a string or an object.
func (e *Error) UnmarshalJSON(p []byte) error {
	var raw struct {
		Code    int             `json:"code"`
		Errno   Errno           `json:"errno"`
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Info    json.RawMessage `json:"info"`
	}
	if err := json.Unmarshal(p, &raw); err != nil {
		return err
	}
	*e = Error{Code: raw.Code, Errno: raw.Errno, Message: raw.Message, Info: raw.Info}
	if len(raw.Error) > 0 {
		if raw.Error[0] == '"' {
			if err := json.Unmarshal(raw.Error, &e.Text); err != nil {
				return err
			}
		} else if !bytes.Equal(raw.Error, []byte("null")) {
			e.Auth = raw.Error
		}
	}
	return nil
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // never fails for a string
	return append(b, q...)
}

// The errors the server answers with in more than one place. Each call
// returns a fresh value; their texts are upstream's.
func errNotFoundRoute() *Error {
	return NewError(http.StatusNotFound, ErrnoUndefined, "Resource not found.")
}
func errTokenNotFound() *Error {
	return NewError(http.StatusNotFound, ErrnoInvalidToken, "Token not found.")
}
func errBackend() *Error {
	return NewError(http.StatusServiceUnavailable, ErrnoBackend, "Service Unavailable")
}
func errNotAcceptable() *Error {
	return NewError(http.StatusNotAcceptable, ErrnoBadJSON, "Request body should be defined as application/json")
}
func errForbidden() *Error {
	return NewError(http.StatusForbidden, ErrnoInvalidAuthToken, "Forbidden")
}
func errNotRegistered() *Error {
	return NewError(http.StatusForbidden, ErrnoInvalidAuthToken, "You should be a registered user to perform this action.")
}
func errMissing(names ...string) *Error {
	s := "Missing: "
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return NewError(http.StatusBadRequest, ErrnoMissingParameters, s)
}
func errInvalid(text string) *Error {
	return NewError(http.StatusBadRequest, ErrnoInvalidParameters, text)
}

// Store errors. A Store returns them (possibly wrapped); the server maps
// anything else to 503 errno 201.
var (
	// ErrNotFound: the key does not exist or has expired.
	ErrNotFound = errors.New("loopapi: not found")
	// ErrRoomFull: JoinRoom found the room at its maximum size.
	ErrRoomFull = errors.New("loopapi: room full")
)
