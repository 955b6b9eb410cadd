package limpwire

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// Fixed identities of LIMP 6.0 (docs/protocols/limp.md section 6).
const (
	AdminUserID  = "f00000000000000000000010"
	AnonUserID   = "f00000000000000000000011"
	AnonSID      = "f00000000000000000000012"
	DefaultGroup = "f00000000000000000000013"

	// AnonToken is the default anonymous token: the signing key of every
	// call made before auth, and the last element of a 5.6 auth hash.
	AnonToken = "__ANON_TOKEN_" + AnonSID
)

// Well-known reply codes that are not errors.
const (
	CodeConnReady = "CORE_CONN_READY"
	CodeConnOK    = "CORE_CONN_OK"
	CodeHeartbeat = "CORE_HEARTBEAT_OK"
	CodeWatchOK   = "CORE_WATCH_OK"
)

// TokenLifetime is the exp - iat the Angular SDK puts in every call.
const TokenLifetime = 86400 * time.Second

// Call is one client call: the claims of the JWT a frame carries
// (docs/protocols/limp.md section 3).
type Call struct {
	Endpoint string         // "module/method"
	Doc      map[string]any // nil is sent as {}
	SID      string         // the session id, AnonSID before auth
	Token    string         // the session token (sent in clear, ignored by servers)
	Query    []any          // nil is sent as []
	CallID   string

	// AwaitAuth is the Angular SDK's internal flag that leaks into its
	// payload; nil leaves the claim out.
	AwaitAuth *bool

	// IssuedAt and Expires are the iat and exp claims in Unix seconds;
	// zero leaves the claim out.
	IssuedAt, Expires int64

	// Claims holds, on a decoded call, every claim of the payload
	// (those above included) as encoding/json decodes them. Encoding
	// ignores it.
	Claims map[string]any

	// HasEndpoint and HasSID say whether a decoded call carried those
	// claims at all (6.0 answers differently to a missing endpoint).
	HasEndpoint, HasSID bool
}

// AppendPayload appends the JSON payload of c: the claims in the order
// the Angular SDK writes them (endpoint, doc, sid, token, query,
// awaitAuth, call_id, iat, exp), JSON.stringify's formatting, keys of
// nested objects sorted.
func (c *Call) AppendPayload(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"endpoint":`...)
	b = appendJSString(b, c.Endpoint)
	b = append(b, `,"doc":`...)
	if c.Doc == nil {
		b = append(b, "{}"...)
	} else if b, err = appendJSValue(b, c.Doc); err != nil {
		return b, err
	}
	b = append(b, `,"sid":`...)
	b = appendJSString(b, c.SID)
	b = append(b, `,"token":`...)
	b = appendJSString(b, c.Token)
	b = append(b, `,"query":`...)
	if c.Query == nil {
		b = append(b, "[]"...)
	} else if b, err = appendJSValue(b, c.Query); err != nil {
		return b, err
	}
	if c.AwaitAuth != nil {
		b = append(b, `,"awaitAuth":`...)
		b = strconv.AppendBool(b, *c.AwaitAuth)
	}
	b = append(b, `,"call_id":`...)
	b = appendJSString(b, c.CallID)
	if c.IssuedAt != 0 {
		b = append(b, `,"iat":`...)
		b = strconv.AppendInt(b, c.IssuedAt, 10)
	}
	if c.Expires != 0 {
		b = append(b, `,"exp":`...)
		b = strconv.AppendInt(b, c.Expires, 10)
	}
	return append(b, '}'), nil
}

// ParseCall decodes a verified JWT payload and checks its registered
// claims against now the way PyJWT 1.7.1 does for LIMP 6.0: exp, when
// present, a number not before now (no leeway); nbf, when present, a
// number not after now; iat, when present, a number; aud never present.
// Call claims of the wrong JSON type fail with ErrClaims; missing ones
// are left zero (see HasEndpoint, HasSID).
func ParseCall(payload []byte, now time.Time) (*Call, error) {
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil || m == nil {
		return nil, perr(ErrMalformedToken, "payload is not a JSON object")
	}
	sec := float64(now.Unix())
	if v, ok := m["exp"]; ok {
		f, ok := v.(float64)
		if !ok {
			return nil, perr(ErrClaims, "exp is not a number")
		}
		if math.Floor(f) < sec {
			return nil, perr(ErrExpired, "")
		}
	}
	if v, ok := m["nbf"]; ok {
		f, ok := v.(float64)
		if !ok {
			return nil, perr(ErrClaims, "nbf is not a number")
		}
		if f > sec {
			return nil, perr(ErrNotYetValid, "")
		}
	}
	if v, ok := m["iat"]; ok {
		if _, ok := v.(float64); !ok {
			return nil, perr(ErrClaims, "iat is not a number")
		}
	}
	if _, ok := m["aud"]; ok {
		return nil, perr(ErrAudience, "")
	}
	c := &Call{Claims: m}
	var ok bool
	if v, has := m["endpoint"]; has {
		c.HasEndpoint = true
		if c.Endpoint, ok = v.(string); !ok {
			return nil, perr(ErrClaims, "endpoint is not a string")
		}
	}
	if v, has := m["sid"]; has {
		c.HasSID = true
		if c.SID, ok = v.(string); !ok {
			return nil, perr(ErrClaims, "sid is not a string")
		}
	}
	if v, has := m["token"]; has && v != nil {
		c.Token, _ = v.(string)
	}
	switch v := m["call_id"].(type) {
	case string:
		c.CallID = v
	case nil:
	case float64:
		c.CallID = strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return nil, perr(ErrClaims, "call_id is not a string")
	}
	switch v := m["query"].(type) {
	case []any:
		c.Query = v
	case nil:
	default:
		return nil, perr(ErrClaims, "query is not an array")
	}
	switch v := m["doc"].(type) {
	case map[string]any:
		c.Doc = v
	case nil:
	default:
		return nil, perr(ErrClaims, "doc is not an object")
	}
	if v, ok := m["awaitAuth"].(bool); ok {
		c.AwaitAuth = &v
	}
	if v, ok := m["iat"].(float64); ok {
		c.IssuedAt = clampInt64(v)
	}
	if v, ok := m["exp"].(float64); ok {
		c.Expires = clampInt64(v)
	}
	return c, nil
}

// Reply is one server message: {"status":…,"msg":…,"args":{…}}.
type Reply struct {
	Status int
	Msg    string
	Args   map[string]any // nil is sent as {}
}

// CallID returns args.call_id as a string ("" when absent or null).
func (r *Reply) CallID() string {
	s, _ := r.Args["call_id"].(string)
	return s
}

// Code returns args.code ("" when absent).
func (r *Reply) Code() string {
	s, _ := r.Args["code"].(string)
	return s
}

// Watch returns args.watch and whether the reply belongs to a watch
// task (the SDK keeps such a call open).
func (r *Reply) Watch() (string, bool) {
	v, ok := r.Args["watch"]
	if !ok || v == nil {
		return "", false
	}
	s, _ := v.(string)
	return s, true
}

// Err returns nil for a 200 reply, else the reply as an *Error.
func (r *Reply) Err() error {
	if r.Status == 200 {
		return nil
	}
	args := make(map[string]any, len(r.Args))
	for k, v := range r.Args {
		if k != "call_id" && k != "code" {
			args[k] = v
		}
	}
	return &Error{Status: r.Status, Code: r.Code(), Msg: r.Msg, Args: args}
}

// AppendReply appends the JSON of r; Args is written with sorted keys
// (servers and clients compare parsed JSON, never bytes).
func AppendReply(b []byte, r *Reply) ([]byte, error) {
	b = append(b, `{"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, `,"msg":`...)
	b = appendJSString(b, r.Msg)
	b = append(b, `,"args":`...)
	var err error
	if r.Args == nil {
		b = append(b, "{}"...)
	} else if b, err = appendJSValue(b, r.Args); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

// ErrorReply builds the reply for e with call_id set (nil call_id when
// hasCallID is false, as 6.0 does for errors before the call is decoded).
func ErrorReply(e *Error, callID string, hasCallID bool) *Reply {
	args := make(map[string]any, len(e.Args)+2)
	for k, v := range e.Args {
		args[k] = v
	}
	args["code"] = e.Code
	if hasCallID {
		args["call_id"] = callID
	}
	return &Reply{Status: e.Status, Msg: e.Msg, Args: args}
}

// ParseReply decodes one server message. The message must be a JSON
// object with an integer status, a string msg and an object (or absent,
// or null) args.
func ParseReply(b []byte) (*Reply, error) {
	var raw struct {
		Status json.RawMessage `json:"status"`
		Msg    *string         `json:"msg"`
		Args   json.RawMessage `json:"args"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, perr(ErrMalformedReply, err.Error())
	}
	if raw.Status == nil || raw.Msg == nil {
		return nil, perr(ErrMalformedReply, "status or msg missing")
	}
	st, err := strconv.ParseInt(string(raw.Status), 10, 32)
	if err != nil || st < 0 {
		return nil, perr(ErrMalformedReply, "status is not an integer")
	}
	r := &Reply{Status: int(st), Msg: *raw.Msg}
	if len(raw.Args) > 0 && string(raw.Args) != "null" {
		if err := json.Unmarshal(raw.Args, &r.Args); err != nil || r.Args == nil {
			return nil, perr(ErrMalformedReply, "args is not an object")
		}
	}
	if r.Args == nil {
		r.Args = map[string]any{}
	}
	return r, nil
}

// clampInt64 converts a JSON number of seconds to int64, saturating
// instead of overflowing (an exp of 1e300 stays far in the future).
func clampInt64(f float64) int64 {
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}
