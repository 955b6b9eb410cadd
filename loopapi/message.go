package loopapi

import (
	"bytes"
	"encoding/json"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// The JSON bodies of every endpoint (docs/protocols/loop.md section 4 and
// 8). The server writes them and the Client reads them; field names and
// omissions are upstream's.

// RootInfo is the answer of GET /.
type RootInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Version     string `json:"version,omitempty"` // absent when Options.HideVersion
	Homepage    string `json:"homepage"`
	Endpoint    string `json:"endpoint"`
	FakeTokBox  bool   `json:"fakeTokBox"`
	FxaOAuth    bool   `json:"fxaOAuth"`
	I18n        I18n   `json:"i18n"`
	Rev         string `json:"rev,omitempty"`
	Branch      string `json:"branch,omitempty"`
}

// I18n is RootInfo's language block.
type I18n struct {
	DefaultLang string `json:"defaultLang"`
	Lang        string `json:"lang"`
}

// Heartbeat is the answer of GET /__heartbeat__ (200 when every field is
// true, else 503).
type Heartbeat struct {
	Storage     bool   `json:"storage"`
	Provider    bool   `json:"provider"`
	Message     string `json:"message,omitempty"`
	Push        bool   `json:"push"`
	FxaVerifier bool   `json:"fxaVerifier"`
}

// PushServerConfig is the answer of GET /push-server-config.
type PushServerConfig struct {
	PushServerURI string `json:"pushServerURI"`
}

// Push URL topics of a registration.
const (
	TopicCalls = "calls"
	TopicRooms = "rooms"
)

// Registration is the body of POST /registration. An empty Registration
// is valid: it only gets a session.
type Registration struct {
	SimplePushURL  string            `json:"simplePushURL,omitempty"`
	SimplePushURLs map[string]string `json:"simplePushURLs,omitempty"`
}

// CallURLRequest is the body of POST /call-url and PUT /call-url/{token}.
type CallURLRequest struct {
	CallerID  string `json:"callerId,omitempty"`
	ExpiresIn int64  `json:"expiresIn,omitempty"` // hours; 0 means the server's default
	Issuer    string `json:"issuer,omitempty"`
	Subject   string `json:"subject,omitempty"`
}

// CallURLCreated is the answer of POST /call-url.
type CallURLCreated struct {
	CallURL   string `json:"callUrl"`
	CallToken string `json:"callToken"`
	CallURLV0 string `json:"call_url"` // deprecated alias of CallURL
	ExpiresAt int64  `json:"expiresAt"`
}

// CallURLInfo is one entry of GET /call-url.
type CallURLInfo struct {
	CallerID  string `json:"callerId,omitempty"`
	Timestamp int64  `json:"timestamp"`
	Issuer    string `json:"issuer,omitempty"`
	Subject   string `json:"subject,omitempty"`
	Expires   int64  `json:"expires"`
}

// Expiry is the answer of PUT /call-url/{token} and PATCH /rooms/{token}.
type Expiry struct {
	ExpiresAt int64 `json:"expiresAt"`
}

// CallTokenInfo is the answer of GET /calls/{token}.
type CallTokenInfo struct {
	CalleeFriendlyName string `json:"calleeFriendlyName,omitempty"`
	URLCreationDate    int64  `json:"urlCreationDate"`
}

// Call types.
const (
	CallTypeAudio      = "audio"
	CallTypeAudioVideo = "audio-video"
)

// CallRequest is the body of POST /calls/{token}.
type CallRequest struct {
	CallType string `json:"callType"`
	Subject  string `json:"subject,omitempty"`
	Channel  string `json:"channel,omitempty"`
}

// DirectCallRequest is the body of POST /calls (registered users).
// CalleeID is a string, a list of strings, or {phoneNumber, mcc} objects.
type DirectCallRequest struct {
	CalleeID any    `json:"calleeId"`
	CallType string `json:"callType"`
	Subject  string `json:"subject,omitempty"`
	Channel  string `json:"channel,omitempty"`
}

// CallCreated is the answer of POST /calls/{token} and POST /calls: what
// the caller needs to join.
type CallCreated struct {
	CallID         string `json:"callId"`
	WebsocketToken string `json:"websocketToken"`
	SessionID      string `json:"sessionId"`
	SessionToken   string `json:"sessionToken"`
	APIKey         string `json:"apiKey"`
	ProgressURL    string `json:"progressURL"`
}

// CallList is the answer of GET /calls?version=N.
type CallList struct {
	Calls []CallItem `json:"calls"`
}

// CallItem is one call in a CallList: what the callee needs to join.
type CallItem struct {
	CallID          string `json:"callId"`
	CallType        string `json:"callType"`
	CallerID        string `json:"callerId,omitempty"`
	WebsocketToken  string `json:"websocketToken"`
	APIKey          string `json:"apiKey"`
	SessionID       string `json:"sessionId"`
	SessionToken    string `json:"sessionToken"`
	ProgressURL     string `json:"progressURL"`
	Subject         string `json:"subject,omitempty"`
	CallURL         string `json:"callUrl,omitempty"`
	CallURLV0       string `json:"call_url,omitempty"`
	CallToken       string `json:"callToken,omitempty"`
	URLCreationDate int64  `json:"urlCreationDate,omitempty"`
}

// Params is a request body read as a flat object: a JSON object (numbers
// as json.Number) or a urlencoded form (every value a string). Upstream
// accepts both (body-parser).
type Params map[string]any

// ParseParams reads a request body of the given Content-Type. An empty
// body is an empty Params. A JSON body that is not an object is an
// error (errno 106).
func ParseParams(contentType string, body []byte) (Params, *Error) {
	p := Params{}
	if len(bytes.TrimSpace(body)) == 0 {
		return p, nil
	}
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	if ct == "application/x-www-form-urlencoded" {
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, NewError(400, ErrnoBadJSON, "invalid urlencoded body")
		}
		for k, vs := range v {
			p[k] = vs[0]
		}
		return p, nil
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, NewError(400, ErrnoBadJSON, "invalid JSON body")
	}
	if _, err := d.Token(); err == nil {
		return nil, NewError(400, ErrnoBadJSON, "invalid JSON body")
	}
	return m, nil
}

// Has reports whether key is present (even as null or "").
func (p Params) Has(key string) bool { _, ok := p[key]; return ok }

// String is the value of key if it is a string, else "".
func (p Params) String(key string) string {
	s, _ := p[key].(string)
	return s
}

// Missing lists the keys absent from p, in order: requireParams.
func (p Params) Missing(keys ...string) *Error {
	var miss []string
	for _, k := range keys {
		if !p.Has(k) {
			miss = append(miss, k)
		}
	}
	if miss == nil {
		return nil
	}
	return errMissing(miss...)
}

// parseInt is JavaScript's parseInt of a body value: a number is
// truncated, a string gives its leading integer, anything else is NaN
// (ok false).
func parseInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, true
		}
		f, err := x.Float64()
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1<<53 {
			return 0, false
		}
		return int64(f), true
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) || math.Abs(x) > 1<<53 {
			return 0, false
		}
		return int64(x), true
	case string:
		s := strings.TrimLeft(x, " \t\n\r\v\f")
		end := 0
		if end < len(s) && (s[end] == '-' || s[end] == '+') {
			end++
		}
		digits := end
		for end < len(s) && s[end] >= '0' && s[end] <= '9' && end-digits < 15 {
			end++
		}
		if end == digits {
			return 0, false
		}
		i, err := strconv.ParseInt(s[:end], 10, 64)
		return i, err == nil
	}
	return 0, false
}

// ParseCallURLRequest validates the body of POST /call-url (requireCallerID
// true) or PUT /call-url/{token}. ExpiresIn comes back as given (no lower
// bound, as upstream: 0 or less expires at once) or defHours when absent;
// maxHours bounds it.
func ParseCallURLRequest(p Params, requireCallerID bool, defHours, maxHours int64) (CallURLRequest, *Error) {
	r := CallURLRequest{ExpiresIn: defHours}
	if requireCallerID {
		if e := p.Missing("callerId"); e != nil {
			return r, e
		}
	}
	if p.Has("expiresIn") {
		n, ok := parseInt(p["expiresIn"])
		if !ok {
			return r, errInvalid("expiresIn should be a valid number")
		}
		if n > maxHours {
			return r, errInvalid("expiresIn should be less than " + strconv.FormatInt(maxHours, 10))
		}
		r.ExpiresIn = n
	}
	r.CallerID = stringish(p["callerId"])
	r.Issuer = stringish(p["issuer"])
	r.Subject = stringish(p["subject"])
	return r, nil
}

// stringish renders a scalar body value as JavaScript would concatenate
// it; objects and null give "".
func stringish(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// ValidateCallType checks callType (section 4, POST /calls/{token}).
func ValidateCallType(p Params) (string, *Error) {
	if e := p.Missing("callType"); e != nil {
		return "", e
	}
	ct := p.String("callType")
	if ct != CallTypeAudio && ct != CallTypeAudioVideo {
		return "", errInvalid("callType should be 'audio' or 'audio-video'")
	}
	return ct, nil
}

// ValidateSubject checks the optional subject against maxLen characters.
func ValidateSubject(p Params, maxLen int) (string, *Error) {
	s := stringish(p["subject"])
	if len([]rune(s)) > maxLen {
		return "", errInvalid("subject should be less than " + strconv.Itoa(maxLen) + " characters long")
	}
	return s, nil
}

// ParseRegistration validates the body (and the ?simplePushURL= query
// value) of POST /registration into topic -> URL pairs; an empty result
// means "only a session". Every topic's URL is validated, but only the
// topics the server wakes (TopicCalls, TopicRooms) are returned, so a
// session cannot grow its record with ever new topic names.
func ParseRegistration(p Params, query string) (map[string]string, *Error) {
	urls := map[string]string{}
	if m, ok := p["simplePushURLs"].(map[string]any); ok {
		for topic, v := range m {
			s, ok := v.(string)
			if !ok || !strings.HasPrefix(s, "http") {
				return nil, errInvalid("simplePushURLs." + topic + " should be a valid url")
			}
			if topic == TopicCalls || topic == TopicRooms {
				urls[topic] = s
			}
		}
	} else if p.Has("simplePushURLs") && p["simplePushURLs"] != nil {
		return nil, errInvalid("simplePushURLs should be an object")
	}
	one, has := "", false
	for _, k := range []string{"simple_push_url", "simplePushURL"} {
		if v, ok := p[k]; ok && v != nil && v != "" {
			s, isStr := v.(string)
			if !isStr {
				return nil, errInvalid("simplePushURLs.calls should be a valid url")
			}
			one, has = s, true
			break
		}
	}
	if !has && query != "" {
		one, has = query, true
	}
	if has {
		if !strings.HasPrefix(one, "http") {
			return nil, errInvalid("simplePushURLs.calls should be a valid url")
		}
		urls[TopicCalls] = one
	}
	return urls, nil
}

// CalleeIDs reads calleeId of POST /calls: a string, a list of strings,
// or objects {phoneNumber, mcc}. Identities come back lower-cased.
func CalleeIDs(p Params) ([]string, *Error) {
	if e := p.Missing("calleeId"); e != nil {
		return nil, e
	}
	var out []string
	add := func(v any) *Error {
		switch x := v.(type) {
		case string:
			if x == "" {
				return errInvalid("calleeId should not be empty")
			}
			out = append(out, strings.ToLower(x))
		case map[string]any:
			num, _ := x["phoneNumber"].(string)
			if num == "" {
				return errInvalid("calleeId phoneNumber should be a string")
			}
			out = append(out, strings.ToLower(num))
		default:
			return errInvalid("calleeId should be a string, an array or a phone number object")
		}
		return nil
	}
	if list, ok := p["calleeId"].([]any); ok {
		if len(list) == 0 {
			return nil, errInvalid("calleeId should not be empty")
		}
		for _, v := range list {
			if e := add(v); e != nil {
				return nil, e
			}
		}
		return out, nil
	}
	if e := add(p["calleeId"]); e != nil {
		return nil, e
	}
	return out, nil
}
