package afbproto

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// This file holds what the HTTP and WebSocket clients share: options,
// errors, the session state they track, and the encoding of arguments.

// Defaults of ClientOptions.
const (
	DefaultClientMaxMessageSize = 1 << 20 // largest reply or event accepted
	DefaultEventBuffer          = 256     // events queued for a slow consumer
	DefaultMaxPending           = 1024    // calls waiting for a reply on one socket
	DefaultWriteTimeout         = 10 * time.Second
	DefaultCloseTimeout         = time.Second
)

// ClientOptions configures HTTPClient and WSClient. The zero value is
// valid: every zero field means the documented default.
type ClientOptions struct {
	// Token is the token presented first (the daemon's --token, or one
	// handed out earlier). It is replaced automatically by every refreshed
	// token the server sends back. See Token() on the clients.
	Token string

	// UUID is the session to join. Empty lets the server create one; its
	// uuid is then picked up from the first reply or the session cookie.
	UUID string

	// Header holds extra request headers for HTTP calls and the WebSocket
	// upgrade.
	Header http.Header

	// MaxMessageSize bounds a reply (an HTTP body or a WebSocket message)
	// and an event. Default 1 MiB. A larger HTTP body gives ErrTooLarge; a
	// larger WebSocket message fails the connection.
	MaxMessageSize int64

	// EventBuffer is the capacity of the WSClient event channel. Default
	// 256; negative disables event delivery (events are then counted as
	// dropped). When the channel is full the event is dropped and counted
	// in WSStats.DroppedEvents: the read loop never waits for the consumer.
	EventBuffer int

	// MaxPending bounds the WebSocket calls awaiting a reply; Call waits
	// (within its context) for a free slot. Default 1024.
	MaxPending int

	// WriteTimeout bounds the write of one WebSocket call frame. A write
	// that times out breaks the connection (a frame may be half written).
	// Default 10 s.
	WriteTimeout time.Duration

	// CloseTimeout bounds the wait for the server's close frame in
	// WSClient.Close. Default 1 s.
	CloseTimeout time.Duration

	// HTTPClient sends the HTTP calls. Default: a client of its own (no
	// cookie jar; the session cookie is tracked by HTTPClient itself)
	// whose idle connections HTTPClient.Close releases.
	HTTPClient *http.Client
}

func (o ClientOptions) withDefaults() ClientOptions {
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultClientMaxMessageSize
	}
	if o.EventBuffer == 0 {
		o.EventBuffer = DefaultEventBuffer
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = DefaultCloseTimeout
	}
	return o
}

// Client errors. Transport problems are returned wrapped; match them with
// errors.Is. A reply whose status is not success is a *CallError.
var (
	// ErrDisconnected: the WebSocket connection is gone (the server hung
	// up, the network failed, the server broke the protocol, or Close was
	// called). Every call pending at that moment and every later call
	// fails with a *CallError of status "disconnected" that wraps it, as
	// libafbwsc does locally.
	ErrDisconnected = errors.New("afbproto: disconnected")

	// ErrClientClosed is the cause wrapped alongside ErrDisconnected when
	// the connection ended because Close was called.
	ErrClientClosed = errors.New("afbproto: client closed")

	// ErrServerProtocol: the server sent something that is not a valid
	// x-afb-ws-json1 frame or afb-reply (wrapped with the detail, often a
	// *ParseError). The WebSocket connection is failed with 1008.
	ErrServerProtocol = errors.New("afbproto: server broke the protocol")

	// ErrTooLarge: a reply or event exceeded ClientOptions.MaxMessageSize.
	ErrTooLarge = errors.New("afbproto: message too large")

	// ErrBadArgs: the call arguments could not be encoded as JSON.
	ErrBadArgs = errors.New("afbproto: bad call arguments")

	// ErrBadName: an api or verb name is empty, contains '/' at the
	// start of the verb, or characters that cannot be sent.
	ErrBadName = errors.New("afbproto: bad api or verb name")
)

// CallError is the error of a call whose reply status is not success, and
// of a call that could not be completed because the connection dropped
// (Status "disconnected", Info "server hung up").
type CallError struct {
	Status     string // request.status, e.g. "denied", "unknown-api"
	Info       string // request.info, may be empty
	Reply      *Reply // the whole reply (synthesized for "disconnected")
	HTTPStatus int    // HTTP status of the response; 0 over WebSocket
	Err        error  // cause of a disconnection; nil otherwise
}

func (e *CallError) Error() string {
	s := "afbproto: call failed: " + e.Status
	if e.Info != "" {
		s += ": " + e.Info
	}
	if e.HTTPStatus != 0 && e.HTTPStatus != http.StatusOK {
		s += fmt.Sprintf(" (HTTP %d)", e.HTTPStatus)
	}
	if e.Err != nil {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

// Unwrap makes errors.Is(err, ErrDisconnected) true for a disconnection,
// and exposes its cause.
func (e *CallError) Unwrap() []error {
	var errs []error
	if e.Status == StatusDisconnected {
		errs = append(errs, ErrDisconnected)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// HTTPError is the error of an HTTP call answered with a status other than
// 200 and a body that is not an afb-reply (404 for a missing verb path,
// 415, 500 when sessions are exhausted...).
type HTTPError struct {
	StatusCode int
	Body       []byte // at most ClientOptions.MaxMessageSize bytes
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("afbproto: HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

// HTTPStatus returns the HTTP status carried by err (a *CallError or
// *HTTPError in its chain), or 0.
func HTTPStatus(err error) int {
	var ce *CallError
	if errors.As(err, &ce) {
		return ce.HTTPStatus
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusCode
	}
	return 0
}

// Caller is what HTTPClient and WSClient have in common.
type Caller interface {
	// Call calls api/verb with args and returns the reply when its status
	// is success. See HTTPClient.Call and WSClient.Call.
	Call(ctx context.Context, api, verb string, args any, opts ...CallOption) (*Reply, error)
	// Token is the current session token as tracked from replies.
	Token() string
	// UUID is the session uuid as tracked from replies and cookies.
	UUID() string
}

// CallOption changes one call.
type CallOption func(*callConfig)

type callConfig struct {
	token    string
	hasToken bool
}

// WithToken presents tok for this call only: the 5th element of a
// WebSocket call, the x-afb-token header of an HTTP call. It does not
// change the tracked token (a refresh in the reply still does).
func WithToken(tok string) CallOption {
	return func(c *callConfig) { c.token, c.hasToken = tok, true }
}

func applyCallOptions(opts []CallOption) callConfig {
	var c callConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

// sessionState is the token and uuid a client tracks.
type sessionState struct {
	mu    sync.Mutex
	token string
	uuid  string
}

func (s *sessionState) get() (token, uuid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token, s.uuid
}

// learn records a refreshed token and a session uuid when they are set.
func (s *sessionState) learn(token, uuid string) {
	if token == "" && uuid == "" {
		return
	}
	s.mu.Lock()
	if token != "" {
		s.token = token
	}
	if uuid != "" {
		s.uuid = uuid
	}
	s.mu.Unlock()
}

// encodeArgs turns call arguments into JSON: nil is null (nil), a
// json.RawMessage or []byte must already be valid JSON, anything else goes
// through json.Marshal.
func encodeArgs(args any) (json.RawMessage, error) {
	var raw []byte
	switch a := args.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		raw = a
	case []byte:
		raw = a
	default:
		b, err := json.Marshal(args)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadArgs, err)
		}
		return b, nil
	}
	if len(raw) == 0 {
		return nil, nil
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("%w: raw arguments are not valid JSON", ErrBadArgs)
	}
	return raw, nil
}

// checkName refuses names that would make a malformed call: empty api or
// verb, a verb starting with '/', control characters.
func checkName(api, verb string) error {
	if verb == "" || verb[0] == '/' {
		return fmt.Errorf("%w: verb %q", ErrBadName, verb)
	}
	if api == "" {
		return fmt.Errorf("%w: empty api", ErrBadName)
	}
	for _, s := range [2]string{api, verb} {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] == 0x7f {
				return fmt.Errorf("%w: control character in %q", ErrBadName, s)
			}
		}
	}
	return nil
}

// replyResult turns a parsed reply into the result of Call.
func replyResult(r *Reply, httpStatus int) (*Reply, error) {
	if r.OK() {
		return r, nil
	}
	return r, &CallError{Status: r.Status, Info: r.Info, Reply: r, HTTPStatus: httpStatus}
}

// disconnected builds the error libafbwsc gives pending calls when the
// connection drops.
func disconnected(cause error) *CallError {
	r := &Reply{Status: StatusDisconnected, Info: InfoHungUp}
	return &CallError{Status: StatusDisconnected, Info: InfoHungUp, Reply: r, Err: cause}
}

var (
	_ Caller = (*HTTPClient)(nil)
	_ Caller = (*WSClient)(nil)
)
