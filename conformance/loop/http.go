package loopsuite

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// origin is scheme://host of the target, where the root and /v0 mounts
// are (section 1.1), whatever path the target URL has.
func origin(t *conformance.T) string {
	u, err := url.Parse(t.URL())
	t.Check(err, "parsing the target URL")
	return u.Scheme + "://" + u.Host
}

// errorBody is the JSON error body of section 2.1.
func errorBody(status, errno int, text string) string {
	b, _ := json.Marshal(text)
	return fmt.Sprintf(`{"code":%d,"errno":%d,"error":%s}`, status, errno, b)
}

// expectError fails the case unless r is status with exactly the error
// body {code, errno, error: text}.
func expectError(t *conformance.T, r *kit.Response, status, errno int, text string) {
	want := errorBody(status, errno, text)
	if r.Status != status || !kit.JSONEqual(r.Body, []byte(want)) {
		t.Failf(fmt.Sprintf("HTTP %d %s", status, want), "%s", r.Brief())
	}
}

// expectHawkError fails the case unless r is status, errno 110, with the
// Boom payload boom as "error", and (when challenge is not "") that
// WWW-Authenticate value.
func expectHawkError(t *conformance.T, r *kit.Response, status int, boom, challenge string) {
	want := fmt.Sprintf(`{"code":%d,"errno":110,"error":%s}`, status, boom)
	if r.Status != status || !kit.JSONEqual(r.Body, []byte(want)) {
		t.Failf(fmt.Sprintf("HTTP %d %s", status, want), "%s", r.Brief())
	}
	if challenge != "" {
		r.ExpectHeader(t, "WWW-Authenticate", challenge)
	}
}

// boomBody is the Boom payload of a 401 with a message.
func boomBody(message string) string {
	return fmt.Sprintf(`{"statusCode":401,"error":"Unauthorized","message":%q,"attributes":{"error":%q}}`, message, message)
}

// object decodes r's body as one JSON object, failing the case otherwise.
func object(t *conformance.T, r *kit.Response, expect string) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &m); err != nil || m == nil {
		t.Failf(expect, "%s", r.Brief())
	}
	return m
}

// keysExactly fails unless m has exactly the keys want.
func keysExactly(t *conformance.T, m map[string]json.RawMessage, expect string, want ...string) {
	if len(m) != len(want) {
		t.Failf(expect, "members %s", keyList(m))
	}
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Failf(expect, "members %s", keyList(m))
		}
	}
}

func keyList(m map[string]json.RawMessage) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return strings.Join(ks, ", ")
}

// str returns m[k] as a string ("" when absent or not a string).
func str(m map[string]json.RawMessage, k string) string {
	var s string
	if json.Unmarshal(m[k], &s) != nil {
		return ""
	}
	return s
}

// num returns m[k] as an integer; ok is false when it is not one.
func num(m map[string]json.RawMessage, k string) (int64, bool) {
	var n json.Number
	d := json.NewDecoder(strings.NewReader(string(m[k])))
	d.UseNumber()
	if d.Decode(&n) != nil {
		return 0, false
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	return i, err == nil
}

// near fails unless the unix time v is within slack of now (the target's
// clock and ours may differ a little).
func near(t *conformance.T, what string, v, want int64, slack int64) {
	if v < want-slack || v > want+slack {
		t.Failf(fmt.Sprintf("%s about %d (±%d s)", what, want, slack), "%s = %d", what, v)
	}
}

// isHex reports whether s is n lower-case hex characters.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// isToken11 reports whether s is a call-url or room token: 11 characters
// of the base64url alphabet.
func isToken11(s string) bool {
	if len(s) != 11 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// discardPush is a SimplePush URL nobody listens on: registrations need
// one, and the target's fire-and-forget PUT to it fails quickly.
const discardPush = "http://127.0.0.1:9/push"

// callee is a session registered with a calls URL (pushURL, or
// discardPush when "").
func callee(ctx context.Context, t *conformance.T, pushURL string) *session {
	if pushURL == "" {
		pushURL = discardPush
	}
	return newSession(ctx, t, map[string]any{"simplePushURL": pushURL})
}

// callURL is what POST /call-url answered.
type callURL struct {
	token     string
	url       string
	expiresAt int64
}

// createCallURL is POST /call-url (0.17) with body; it wants 200.
func createCallURL(ctx context.Context, t *conformance.T, s *session, body map[string]any) callURL {
	r := s.do(ctx, t, "POST", "/call-url", body)
	r.ExpectStatus(t, "HTTP 200 with a new call URL", http.StatusOK)
	m := object(t, r, `{"callUrl","callToken","call_url","expiresAt"}`)
	c := callURL{token: str(m, "callToken"), url: str(m, "callUrl")}
	c.expiresAt, _ = num(m, "expiresAt")
	if !isToken11(c.token) {
		t.Failf("callToken: 11 base64url characters", "%s", r.Brief())
	}
	return c
}

// call is what POST /calls/{token} answered.
type call struct {
	callID, wsToken, sessionID, sessionToken, apiKey, progressURL string
}

// placeCall is an anonymous caller's POST /calls/{token}; it wants 200.
func placeCall(ctx context.Context, t *conformance.T, token string) call {
	r := anon(ctx, t, "POST", "/calls/"+token, map[string]any{"callType": "audio-video"}, nil)
	r.ExpectStatus(t, "HTTP 200 with the call's details", http.StatusOK)
	m := object(t, r, "a JSON object")
	return call{callID: str(m, "callId"), wsToken: str(m, "websocketToken"), sessionID: str(m, "sessionId"),
		sessionToken: str(m, "sessionToken"), apiKey: str(m, "apiKey"), progressURL: str(m, "progressURL")}
}

// listCalls is the callee's GET /calls?version=v; it wants 200 and
// returns the call items.
func listCalls(ctx context.Context, t *conformance.T, s *session, version int64) []map[string]json.RawMessage {
	r := s.do(ctx, t, "GET", "/calls?version="+strconv.FormatInt(version, 10), nil)
	r.ExpectStatus(t, "HTTP 200 with the calls", http.StatusOK)
	var out struct {
		Calls []map[string]json.RawMessage `json:"calls"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil || out.Calls == nil {
		t.Failf(`{"calls":[...]}`, "%s", r.Brief())
	}
	return out.Calls
}

// assertion returns a BrowserID assertion for a fresh identity, or skips
// the case when the suite has no assertion template.
func assertion(t *conformance.T) (assertion, identity string) {
	tmpl := t.Param(ParamAssertion)
	if tmpl == "" {
		t.Skipf("set the %s parameter (a BrowserID assertion template) to run the cases of registered users", ParamAssertion)
	}
	identity = strings.ToLower(kit.NewID("user")) + "@example.com"
	return strings.ReplaceAll(tmpl, "{identity}", identity), identity
}

// registered is a session of a registered (BrowserID) user: POST
// /registration with Authorization: BrowserID, optionally with a calls
// URL.
func registered(ctx context.Context, t *conformance.T, pushURL string) (*session, string) {
	a, identity := assertion(t)
	var body []byte
	h := http.Header{"Authorization": {"BrowserID " + a}}
	if pushURL != "" {
		body, _ = json.Marshal(map[string]any{"simplePushURL": pushURL})
		h.Set("Content-Type", "application/json")
	}
	r := kit.Do(ctx, t, kit.Request{Method: "POST", URL: base(t) + "/registration", Header: h, Body: body})
	r.ExpectStatus(t, "HTTP 200 and a Hawk-Session-Token for the registered user", http.StatusOK)
	return sessionFrom(t, r), identity
}

// now is the local clock in unix seconds.
func now() int64 { return time.Now().Unix() }

func mustURL(t *conformance.T, s string) *url.URL {
	u, err := url.Parse(s)
	t.Check(err, "parsing a URL")
	return u
}
