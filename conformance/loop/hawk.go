package loopsuite

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// The suite's own Hawk: enough to sign requests and check signed answers,
// written apart from loopapi/hawk so that one library's bug cannot make
// its own server look right (section 3 of the reference).

// creds are Hawk credentials derived from a session token.
type creds struct {
	id  string
	key []byte // the hex string of the derived key, used as is
}

// deriveCreds is section 3.7: HKDF-SHA256 (no salt) of the token's bytes,
// 64 bytes; id = hex of the first half, key = hex of the second.
func deriveCreds(token string) (creds, bool) {
	raw, err := hex.DecodeString(token)
	if err != nil || len(raw) != 32 {
		return creds{}, false
	}
	km, err := hkdf.Key(sha256.New, raw, nil, "identity.mozilla.com/picl/v1/sessionToken", 64)
	if err != nil {
		return creds{}, false
	}
	return creds{id: hex.EncodeToString(km[:32]), key: []byte(hex.EncodeToString(km[32:]))}, true
}

// hawkMAC is the base64 HMAC-SHA256 of the normalized string of kind
// ("header" or "response").
func hawkMAC(key []byte, kind, ts, nonce, method, resource, host string, port int, hash, ext string) string {
	s := "hawk.1." + kind + "\n" + ts + "\n" + nonce + "\n" + strings.ToUpper(method) + "\n" + resource + "\n" +
		strings.ToLower(host) + "\n" + strconv.Itoa(port) + "\n" + hash + "\n" + ext + "\n"
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// payloadHash is the hash attribute of a body: SHA-256 of
// "hawk.1.payload\n" + content type without parameters + "\n" + body + "\n".
func payloadHash(contentType string, body []byte) string {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	h := sha256.New()
	h.Write([]byte("hawk.1.payload\n" + ct + "\n"))
	h.Write(body)
	h.Write([]byte("\n"))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func tsMAC(key []byte, ts string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("hawk.1.ts\n" + ts + "\n"))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func randomNonce() string {
	var b [6]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// signOpts changes how a request is signed, for the cases that break it.
type signOpts struct {
	skew     time.Duration // added to the local clock
	nonce    string        // "" is random
	key      []byte        // nil: the session's key
	id       string        // "": the session's id
	hash     bool          // include the payload hash
	badHash  bool          // include a hash of another body
	override string        // a literal Authorization value instead
}

// signed is what a signed request covered, to check the answer with.
type signed struct {
	ts, nonce, method, resource, host string
	port                              int
}

// sign returns the Authorization value for method on u.
func (c creds) sign(method string, u *url.URL, contentType string, body []byte, o signOpts) (string, signed) {
	port := 80
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	sg := signed{ts: strconv.FormatInt(time.Now().Add(o.skew).Unix(), 10), nonce: o.nonce, method: method,
		resource: u.RequestURI(), host: u.Hostname(), port: port}
	if sg.nonce == "" {
		sg.nonce = randomNonce()
	}
	key, id := c.key, c.id
	if o.key != nil {
		key = o.key
	}
	if o.id != "" {
		id = o.id
	}
	hash := ""
	if o.hash {
		hash = payloadHash(contentType, body)
	}
	if o.badHash {
		hash = payloadHash(contentType, append([]byte("x"), body...))
	}
	mac := hawkMAC(key, "header", sg.ts, sg.nonce, method, sg.resource, sg.host, sg.port, hash, "")
	h := `Hawk id="` + id + `", ts="` + sg.ts + `", nonce="` + sg.nonce + `"`
	if hash != "" {
		h += `, hash="` + hash + `"`
	}
	return h + `, mac="` + mac + `"`, sg
}

// checkServerAuthorization verifies a Server-Authorization value against
// the request it answers; it returns what is wrong, or "".
func (c creds) checkServerAuthorization(v string, sg signed, contentType string, body []byte) string {
	attrs, ok := parseChallenge(v)
	if !ok || attrs["mac"] == "" {
		return "no parsable Hawk mac attribute"
	}
	want := hawkMAC(c.key, "response", sg.ts, sg.nonce, sg.method, sg.resource, sg.host, sg.port, attrs["hash"], attrs["ext"])
	if !hmac.Equal([]byte(want), []byte(attrs["mac"])) {
		return "the response MAC does not verify under the session key"
	}
	if attrs["hash"] == "" {
		return "no hash attribute"
	}
	if attrs["hash"] != payloadHash(contentType, body) {
		return "the hash does not match the body and its Content-Type"
	}
	return ""
}

// parseChallenge reads `Hawk a="b", c="d"` loosely.
func parseChallenge(v string) (map[string]string, bool) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
	if !strings.EqualFold(scheme, "hawk") {
		return nil, false
	}
	out := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		out[k] = strings.Trim(val, `"`)
	}
	return out, true
}

// session is an anonymous (or BrowserID) Hawk session of the target.
type session struct {
	token string
	creds creds
}

// base returns the target's URL without a trailing slash.
func base(t *conformance.T) string { return strings.TrimRight(t.URL(), "/") }

// jsonHeader is the header of a JSON request body.
func jsonHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

// newSession is POST /registration without Authorization (section 4.4):
// 200 with a Hawk-Session-Token of 64 hex characters. body may be nil.
func newSession(ctx context.Context, t *conformance.T, body any) *session {
	var b []byte
	h := http.Header{}
	if body != nil {
		b, _ = json.Marshal(body)
		h = jsonHeader()
	}
	r := kit.Do(ctx, t, kit.Request{Method: "POST", URL: base(t) + "/registration", Header: h, Body: b})
	r.ExpectStatus(t, "HTTP 200 and a new Hawk-Session-Token", http.StatusOK)
	return sessionFrom(t, r)
}

func sessionFrom(t *conformance.T, r *kit.Response) *session {
	tok := r.Header.Get("Hawk-Session-Token")
	c, ok := deriveCreds(tok)
	if !ok {
		t.Failf("Hawk-Session-Token: 64 hex characters", "Hawk-Session-Token: %q", tok)
	}
	return &session{token: tok, creds: c}
}

// do sends a Hawk request of s; body (when not nil) is sent as JSON.
func (s *session) do(ctx context.Context, t *conformance.T, method, path string, body any) *kit.Response {
	r, _ := s.doWith(ctx, t, method, path, body, signOpts{}, nil)
	return r
}

// doWith is do with signing options and extra headers; it also returns
// what the signature covered.
func (s *session) doWith(ctx context.Context, t *conformance.T, method, path string, body any, o signOpts, extra http.Header) (*kit.Response, signed) {
	full := base(t) + path
	u, err := url.Parse(full)
	t.Check(err, "parsing the target URL")
	h := http.Header{}
	var b []byte
	if body != nil {
		if raw, ok := body.([]byte); ok {
			b = raw
		} else {
			b, _ = json.Marshal(body)
		}
		h = jsonHeader()
	}
	for k, v := range extra {
		h[k] = v
	}
	auth, sg := s.creds.sign(method, u, h.Get("Content-Type"), b, o)
	if o.override != "" {
		auth = o.override
	}
	h.Set("Authorization", auth)
	return kit.Do(ctx, t, kit.Request{Method: method, URL: full, Header: h, Body: b}), sg
}

// anon sends a request without Authorization; body (when not nil) as JSON.
func anon(ctx context.Context, t *conformance.T, method, path string, body any, extra http.Header) *kit.Response {
	h := http.Header{}
	var b []byte
	if body != nil {
		if raw, ok := body.([]byte); ok {
			b = raw
		} else {
			b, _ = json.Marshal(body)
		}
		h = jsonHeader()
	}
	for k, v := range extra {
		h[k] = v
	}
	return kit.Do(ctx, t, kit.Request{Method: method, URL: base(t) + path, Header: h, Body: b})
}
