package loopsuite

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
	"github.com/appwire/appwire/internal/conformancetest"
	"github.com/appwire/appwire/loopapi"
	"github.com/appwire/appwire/loopapi/hawk"
)

// Every mutant is the reference server with ONE behaviour broken, by a
// wrapper around its handler (requests or responses), a frame proxy on
// its websocket, a transport under its SimplePush PUTs, or an option
// value the suite is told differently (timers, skew). Nothing here is a
// knob of the production server.

// TestProof proves the suite: the reference passes every case in both
// profiles, every mutant fails at least one case, every case fails
// against at least one mutant.
func TestProof(t *testing.T) {
	conformancetest.Prove(t, Suite(), runner(), func(t *testing.T, profile string) conformance.Target {
		return startReference(t, referenceOptions(profile), nil)
	}, mutants())
}

type wrapFunc func(s *loopapi.Server, h http.Handler) http.Handler

// mutant starts the reference of profile with opts edited and its handler
// wrapped.
func mutant(name, profile string, short bool, edit func(o *loopapi.Options), wrap wrapFunc) conformancetest.Mutant {
	if profile == "" {
		profile = Profile017
	}
	return conformancetest.Mutant{Name: name, Profile: profile, Short: short, Start: func(t *testing.T) conformance.Target {
		o := referenceOptions(profile)
		o.HawkIDSecret = testHawkIDSecret
		if edit != nil {
			edit(&o)
		}
		var w func(*loopapi.Server) http.Handler
		if wrap != nil {
			w = func(s *loopapi.Server) http.Handler { return wrap(s, s) }
		}
		return startReference(t, o, w)
	}}
}

var testHawkIDSecret = []byte("0123456789abcdef0123456789abcdef")

// responses wraps the handler so that f edits responses to requests
// match accepts.
func responses(match func(r *http.Request) bool, f func(r *http.Request, resp *conformancetest.Response)) wrapFunc {
	return func(_ *loopapi.Server, h http.Handler) http.Handler {
		return conformancetest.RewriteResponses(h, func(r *http.Request, resp *conformancetest.Response) {
			if match == nil || match(r) {
				f(r, resp)
			}
		})
	}
}

// requests wraps the handler so that f edits requests first.
func requests(f func(r *http.Request)) wrapFunc {
	return func(_ *loopapi.Server, h http.Handler) http.Handler { return conformancetest.RewriteRequests(h, f) }
}

// route matches method and a path prefix (after an optional /v0).
func route(method, prefix string) func(r *http.Request) bool {
	return func(r *http.Request) bool {
		p := strings.TrimPrefix(r.URL.Path, "/v0")
		return (method == "" || r.Method == method) && strings.HasPrefix(p, prefix)
	}
}

// editJSON rewrites a JSON object body.
func editJSON(resp *conformancetest.Response, f func(ms []kit.Member) []kit.Member) {
	resp.Body = conformancetest.EditObject(resp.Body, f)
}

func setMember(ms []kit.Member, name, raw string) []kit.Member {
	for i := range ms {
		if ms[i].Name == name {
			ms[i].Value = json.RawMessage(raw)
			return ms
		}
	}
	return append(ms, kit.Member{Name: name, Value: json.RawMessage(raw)})
}

// errnoMap rewrites errno from into to in error bodies.
func errnoMap(from, to int) wrapFunc {
	return responses(nil, func(_ *http.Request, resp *conformancetest.Response) {
		editJSON(resp, func(ms []kit.Member) []kit.Member {
			if v, ok := conformancetest.Lookup(ms, "errno"); ok && string(v) == strconv.Itoa(from) {
				return setMember(ms, "errno", strconv.Itoa(to))
			}
			return ms
		})
	})
}

func statusMap(match func(r *http.Request) bool, from, to int) wrapFunc {
	return responses(match, func(_ *http.Request, resp *conformancetest.Response) {
		if resp.Status == from {
			resp.Status = to
		}
	})
}

// jsonBodies rewrites the JSON object body of requests match accepts.
func jsonBodies(match func(r *http.Request) bool, f func(body map[string]any)) wrapFunc {
	return requests(func(r *http.Request) {
		if !match(r) || r.Body == nil {
			return
		}
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var m map[string]any
		if json.Unmarshal(b, &m) == nil && m != nil {
			f(m)
			b, _ = json.Marshal(m)
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
	})
}

// answer replaces the handler for requests match accepts.
func answer(match func(r *http.Request) bool, status int, body string) wrapFunc {
	return func(_ *loopapi.Server, h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !match(r) {
				h.ServeHTTP(w, r)
				return
			}
			if body != "" {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
			}
			w.WriteHeader(status)
			io.WriteString(w, body)
		})
	}
}

// resign wraps the handler so that every Hawk request is re-signed with
// the key the store holds for its id: a server that never checks MACs.
func resign(s *loopapi.Server, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hd, err := hawk.ParseHeader(r.Header.Get("Authorization")); err == nil && hd.ID != "" {
			m := hmac.New(sha256.New, testHawkIDSecret)
			m.Write([]byte(hd.ID))
			if key, err := s.Store().SessionKey(r.Context(), hex.EncodeToString(m.Sum(nil))); err == nil {
				name, port, _ := hawk.SplitHost(r.Host, false)
				hd.MAC, _ = hawk.RequestMAC(hawk.Credentials{ID: hd.ID, Key: []byte(key)}, hawk.Artifacts{
					Method: r.Method, Resource: r.RequestURI, Host: name, Port: port, TS: hd.TS, Nonce: hd.Nonce,
					Hash: hd.Hash, Ext: hd.Ext, App: hd.App, Dlg: hd.Dlg})
				r.Header.Set("Authorization", hd.String())
			}
		}
		h.ServeHTTP(w, r)
	})
}

// frames starts the reference behind a frame proxy whose per-connection
// text hook newHook makes.
func frames(name string, newHook func() func(d conformancetest.Direction, p []byte) [][]byte) conformancetest.Mutant {
	return conformancetest.Mutant{Name: name, Profile: Profile017, Start: func(t *testing.T) conformance.Target {
		p := conformancetest.TextProxy(newHook)
		u := startReference(t, referenceOptions(Profile017), nil).URL
		p.Backend = strings.TrimPrefix(u, "http://")
		addr := conformancetest.StartFrameProxy(t, p)
		return target("http://" + addr)
	}}
}

// toClient rewrites the server's websocket messages.
func toClient(f func(m map[string]any) (drop bool)) func() func(conformancetest.Direction, []byte) [][]byte {
	return func() func(conformancetest.Direction, []byte) [][]byte {
		return func(d conformancetest.Direction, p []byte) [][]byte {
			var m map[string]any
			if d != conformancetest.ToClient || json.Unmarshal(p, &m) != nil {
				return [][]byte{p}
			}
			if f(m) {
				return nil
			}
			b, _ := json.Marshal(m)
			return [][]byte{b}
		}
	}
}

// pushTransport edits or watches the reference's SimplePush PUTs.
type pushTransport struct {
	edit func(r *http.Request) *http.Request
	done func()
}

func (p pushTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodPut || r.Body == nil { // the heartbeat's GET /status
		return http.DefaultTransport.RoundTrip(r)
	}
	if p.edit != nil {
		r = p.edit(r)
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if p.done != nil {
		p.done()
	}
	return resp, err
}

func pushClient(tr pushTransport) func(o *loopapi.Options) {
	return func(o *loopapi.Options) { o.PushClient = &http.Client{Transport: tr, Timeout: 10 * time.Second} }
}

// alwaysFresh is a nonce cache that never remembers.
type alwaysFresh struct{}

func (alwaysFresh) Add(context.Context, string, string, string, time.Duration) (bool, error) {
	return true, nil
}

func mutants() []conformancetest.Mutant {
	hawkRoutes := func(r *http.Request) bool { return !strings.HasPrefix(r.URL.Path, "/rooms") }
	return []conformancetest.Mutant{
		// Section 1.
		mutant("no-v0-mount", "", false, nil, statusMap(func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/v0/") }, 200, 404)),
		mutant("redirect-302", "", false, nil, statusMap(nil, 307, 302)),
		mutant("v0-404-errno-404", "", false, nil, errnoMap(999, 404)),
		mutant("no-timestamp-on-200", "", false, nil, responses(nil, func(_ *http.Request, resp *conformancetest.Response) {
			if resp.Status == 200 {
				resp.Header.Del("Timestamp")
			}
		})),
		mutant("no-timestamp-on-401", "", false, nil, responses(nil, func(_ *http.Request, resp *conformancetest.Response) {
			if resp.Status == 401 {
				resp.Header.Del("Timestamp")
			}
		})),
		mutant("timestamp-on-404", "", false, nil, responses(nil, func(_ *http.Request, resp *conformancetest.Response) {
			resp.Header.Set("Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
		})),
		mutant("json-without-charset", "", false, nil, responses(route("GET", "/"), func(_ *http.Request, resp *conformancetest.Response) {
			if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				resp.Header.Set("Content-Type", "application/json")
			}
		})),
		mutant("cors-not-echoed", "", false, nil, responses(nil, func(_ *http.Request, resp *conformancetest.Response) {
			resp.Header.Del("Access-Control-Allow-Origin")
		})),
		mutant("cors-any-origin", "", false, nil, responses(nil, func(r *http.Request, resp *conformancetest.Response) {
			if o := r.Header.Get("Origin"); o != "" {
				resp.Header.Set("Access-Control-Allow-Origin", o)
			}
		})),
		mutant("preflight-without-methods", "", false, nil, responses(route("OPTIONS", ""), func(_ *http.Request, resp *conformancetest.Response) {
			resp.Header.Del("Access-Control-Allow-Methods")
		})),
		mutant("accept-ignored", "", false, nil, requests(func(r *http.Request) { r.Header.Del("Accept") })),
		mutant("bad-json-accepted", "", false, nil, requests(func(r *http.Request) {
			if r.Body == nil {
				return
			}
			b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			if len(b) > 0 && !json.Valid(b) {
				b = []byte(`{}`)
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
			r.ContentLength = int64(len(b))
		})),
		// Section 2.
		mutant("error-body-with-message", "", false, nil, responses(nil, func(_ *http.Request, resp *conformancetest.Response) {
			if resp.Status == 404 {
				editJSON(resp, func(ms []kit.Member) []kit.Member { return setMember(ms, "message", `"not found"`) })
			}
		})),
		// Section 3.
		mutant("hawk-400-as-401", "", false, nil, responses(nil, func(_ *http.Request, resp *conformancetest.Response) {
			if resp.Status == 400 && bytes.Contains(resp.Body, []byte(`"errno":110`)) {
				resp.Status = 401
			}
		})),
		mutant("hash-left-out-of-mac", "", false, nil, requests(func(r *http.Request) {
			if hd, err := hawk.ParseHeader(r.Header.Get("Authorization")); err == nil && hd.Hash != "" {
				hd.Hash = ""
				r.Header.Set("Authorization", hd.String())
			}
		})),
		mutant("no-hawk-challenge", "", false, nil, responses(nil, func(_ *http.Request, resp *conformancetest.Response) {
			resp.Header.Del("WWW-Authenticate")
		})),
		mutant("mac-unchecked", "", true, nil, resign),
		mutant("unknown-id-as-bad-mac", "", false, nil, responses(nil, func(_ *http.Request, resp *conformancetest.Response) {
			resp.Body = bytes.ReplaceAll(resp.Body, []byte("Unknown credentials"), []byte("Bad mac"))
			if c := resp.Header.Get("WWW-Authenticate"); c != "" {
				resp.Header.Set("WWW-Authenticate", strings.ReplaceAll(c, "Unknown credentials", "Bad mac"))
			}
		})),
		mutant("basic-parsed-as-hawk", "", false, nil, requests(func(r *http.Request) {
			if hawkRoutes(r) && strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") && r.URL.Path != "/registration" {
				r.Header.Set("Authorization", "Hawk MALFORMED")
			}
		})),
		mutant("no-skew-check", "", false, func(o *loopapi.Options) { o.HawkSkew = 24 * time.Hour }, nil),
		mutant("skew-30s", "", false, func(o *loopapi.Options) { o.HawkSkew = 30 * time.Second }, nil),
		mutant("tsm-garbled", "", false, nil, responses(nil, func(_ *http.Request, resp *conformancetest.Response) {
			if c := resp.Header.Get("WWW-Authenticate"); strings.Contains(c, "tsm=") {
				resp.Header.Set("WWW-Authenticate", strings.Replace(c, `tsm="`, `tsm="x`, 1))
			}
		})),
		mutant("replay-accepted", "", false, func(o *loopapi.Options) { o.Nonces = alwaysFresh{} }, nil),
		mutant("server-authorization-hash-dropped", "", false, nil, responses(nil, func(_ *http.Request, resp *conformancetest.Response) {
			if v := resp.Header.Get("Server-Authorization"); v != "" {
				if i := strings.Index(v, `, hash="`); i >= 0 {
					resp.Header.Set("Server-Authorization", v[:i])
				}
			}
		})),
		mutant("token-not-exposed", "", false, nil, responses(nil, func(_ *http.Request, resp *conformancetest.Response) {
			resp.Header.Del("Access-Control-Expose-Headers")
		})),
		mutant("hawk-registration-new-token", "", false, nil, responses(route("POST", "/registration"), func(r *http.Request, resp *conformancetest.Response) {
			if resp.Status == 200 && resp.Header.Get("Hawk-Session-Token") == "" {
				resp.Header.Set("Hawk-Session-Token", strings.Repeat("ab", 32))
			}
		})),
		mutant("browserid-refused", "", false, nil, requests(func(r *http.Request) {
			if strings.HasPrefix(r.Header.Get("Authorization"), "BrowserID ") {
				r.Header.Set("Authorization", "BrowserID refused")
			}
		})),
		mutant("browserid-unverified", "", false, nil, requests(func(r *http.Request) {
			if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "BrowserID ") && !strings.HasPrefix(a, "BrowserID local:") {
				r.Header.Set("Authorization", "BrowserID local:anyone@example.com")
			}
		})),
		mutant("forbidden-as-204", "", false, nil, statusMap(nil, 403, 204)),
		// Section 4.
		mutant("root-without-endpoint", "", false, nil, responses(func(r *http.Request) bool { return r.URL.Path == "/" }, func(_ *http.Request, resp *conformancetest.Response) {
			editJSON(resp, func(ms []kit.Member) []kit.Member { return conformancetest.Without(ms, "endpoint") })
		})),
		mutant("heartbeat-503", "", false, nil, statusMap(route("GET", "/__heartbeat__"), 200, 503)),
		mutant("push-config-extra-member", "", false, nil, responses(route("GET", "/push-server-config"), func(_ *http.Request, resp *conformancetest.Response) {
			editJSON(resp, func(ms []kit.Member) []kit.Member { return setMember(ms, "pushServerURIs", `[]`) })
		})),
		mutant("registration-answers-ok", "", false, nil, responses(route("POST", "/registration"), func(_ *http.Request, resp *conformancetest.Response) {
			if resp.Status == 200 {
				resp.Body = []byte(`"ok"`)
			}
		})),
		mutant("push-url-unchecked", "", false, nil, jsonBodies(route("POST", "/registration"), func(b map[string]any) {
			if m, ok := b["simplePushURLs"].(map[string]any); ok {
				for k, v := range m {
					if s, _ := v.(string); !strings.HasPrefix(s, "http") {
						m[k] = "http://push.invalid/" + k
					}
				}
			}
		})),
		mutant("alias-ignored", "", false, nil, jsonBodies(route("POST", "/registration"), func(b map[string]any) {
			delete(b, "simple_push_url")
		})),
		mutant("deletes-do-nothing", "", false, nil, answer(func(r *http.Request) bool {
			p := strings.TrimPrefix(r.URL.Path, "/v0")
			return r.Method == "DELETE" && (p == "/registration" || p == "/account" || p == "/session")
		}, 204, "")),
		mutant("call-url-without-call_url", "", false, nil, responses(route("POST", "/call-url"), func(_ *http.Request, resp *conformancetest.Response) {
			editJSON(resp, func(ms []kit.Member) []kit.Member { return conformancetest.Without(ms, "call_url") })
		})),
		mutant("missing-as-invalid", "", false, nil, errnoMap(108, 107)),
		mutant("expiresIn-ignored", "", false, nil, jsonBodies(route("POST", "/call-url"), func(b map[string]any) {
			delete(b, "expiresIn")
		})),
		mutant("head-call-url-errno-999", ProfileHead, false, nil, errnoMap(204, 999)),
		mutant("call-url-list-with-userMac", "", false, nil, responses(route("GET", "/call-url"), func(_ *http.Request, resp *conformancetest.Response) {
			el, ok := conformancetest.Elements(resp.Body)
			if !ok {
				return
			}
			for i := range el {
				el[i] = conformancetest.EditObject(el[i], func(ms []kit.Member) []kit.Member { return setMember(ms, "userMac", `"x"`) })
			}
			resp.Body = conformancetest.JoinElements(el)
		})),
		mutant("call-url-put-ignored", "", false, nil, answer(route("PUT", "/call-url/"), 200, `{"expiresAt":1}`)),
		mutant("token-errno-999", "", false, nil, errnoMap(105, 999)),
		mutant("calleeFriendlyName-always", "", false, nil, responses(route("GET", "/calls/"), func(_ *http.Request, resp *conformancetest.Response) {
			editJSON(resp, func(ms []kit.Member) []kit.Member {
				if _, ok := conformancetest.Lookup(ms, "urlCreationDate"); ok {
					if _, ok := conformancetest.Lookup(ms, "calleeFriendlyName"); !ok {
						ms = append(ms, kit.Member{Name: "calleeFriendlyName", Value: json.RawMessage(`""`)})
					}
				}
				return ms
			})
		})),
		mutant("progressURL-http", "", false, nil, responses(route("POST", "/calls/"), func(_ *http.Request, resp *conformancetest.Response) {
			resp.Body = bytes.Replace(resp.Body, []byte(`"ws://`), []byte(`"http://`), 1)
		})),
		mutant("callType-unchecked", "", false, nil, jsonBodies(route("POST", "/calls/"), func(b map[string]any) {
			if b["callType"] == "video" {
				b["callType"] = "audio"
			}
		})),
		mutant("gone-as-404", "", false, nil, statusMap(nil, 410, 404)),
		mutant("calls-without-callToken", "", false, nil, responses(route("GET", "/calls"), func(_ *http.Request, resp *conformancetest.Response) {
			editJSON(resp, func(ms []kit.Member) []kit.Member {
				if v, ok := conformancetest.Lookup(ms, "calls"); ok {
					if el, ok := conformancetest.Elements(v); ok {
						for i := range el {
							el[i] = conformancetest.EditObject(el[i], func(ms []kit.Member) []kit.Member { return conformancetest.Without(ms, "callToken") })
						}
						return setMember(ms, "calls", string(conformancetest.JoinElements(el)))
					}
				}
				return ms
			})
		})),
		mutant("version-ignored", "", false, nil, requests(func(r *http.Request) {
			if route("GET", "/calls")(r) && r.URL.Query().Get("version") != "" {
				q := r.URL.Query()
				q.Set("version", "0")
				r.URL.RawQuery = q.Encode()
			}
		})),
		mutant("direct-call-fake", "", false, nil, answer(func(r *http.Request) bool {
			return r.Method == "POST" && strings.TrimPrefix(r.URL.Path, "/v0") == "/calls"
		}, 200, `{"callId":"00000000000000000000000000000000","websocketToken":"x","sessionId":"x","sessionToken":"x","apiKey":"x","progressURL":"ws://x/websocket"}`)),
		// Section 5.
		frames("hello-state-alerting", toClient(func(m map[string]any) bool {
			if m["messageType"] == "hello" {
				m["state"] = "alerting"
			}
			return false
		})),
		frames("error-reason-rewritten", toClient(func(m map[string]any) bool {
			if m["messageType"] == "error" {
				m["reason"] = "error"
			}
			return false
		})),
		frames("alerting-dropped", toClient(func(m map[string]any) bool { return m["state"] == "alerting" && m["messageType"] == "progress" })),
		frames("half-connected-dropped", toClient(func(m map[string]any) bool { return m["state"] == "half-connected" })),
		frames("progress-reason-dropped", toClient(func(m map[string]any) bool {
			if m["messageType"] == "progress" {
				delete(m, "reason")
			}
			return false
		})),
		frames("terminate-dropped", func() func(conformancetest.Direction, []byte) [][]byte {
			return func(d conformancetest.Direction, p []byte) [][]byte {
				if d == conformancetest.ToServer && bytes.Contains(p, []byte(`"terminate"`)) {
					return nil
				}
				return [][]byte{p}
			}
		}),
		mutant("timers-never-fire", "", false, func(o *loopapi.Options) {
			o.SupervisoryDuration, o.RingingDuration, o.ConnectionDuration = time.Hour, time.Hour, time.Hour
		}, nil),
		mutant("timers-early", "", false, func(o *loopapi.Options) {
			o.SupervisoryDuration, o.RingingDuration, o.ConnectionDuration = 20*time.Millisecond, 20*time.Millisecond, 20*time.Millisecond
		}, nil),
		mutant("calls-never-expire", "", false, func(o *loopapi.Options) { o.CallDuration = time.Hour }, nil),
		// Section 6.
		mutant("push-version-in-ms", "", true, pushClient(pushTransport{edit: func(r *http.Request) *http.Request {
			b, _ := io.ReadAll(r.Body)
			v, ok := strings.CutPrefix(string(b), "version=")
			if n, err := strconv.ParseInt(v, 10, 64); ok && err == nil {
				b = []byte("version=" + strconv.FormatInt(n*1000, 10))
			}
			r = r.Clone(r.Context())
			r.Body = io.NopCloser(bytes.NewReader(b))
			r.ContentLength = int64(len(b))
			return r
		}}), nil),
		pushBlocksCaller(),
		mutant("one-device-per-user", "", false, nil, oneDevicePerUser()),
		mutant("rooms-topic-dropped", "", false, nil, jsonBodies(route("POST", "/registration"), func(b map[string]any) {
			if m, ok := b["simplePushURLs"].(map[string]any); ok {
				delete(m, "rooms")
			}
		})),
		// Section 8.
		mutant("room-created-200", "", false, nil, statusMap(route("POST", "/rooms"), 201, 200)),
		mutant("room-maxSize-unchecked", "", false, nil, jsonBodies(route("POST", "/rooms"), func(b map[string]any) {
			if n, ok := b["maxSize"].(float64); ok && n > 5 {
				b["maxSize"] = 5
			}
		})),
		mutant("join-without-sessionToken", "", false, nil, responses(route("POST", "/rooms/"), func(_ *http.Request, resp *conformancetest.Response) {
			editJSON(resp, func(ms []kit.Member) []kit.Member { return conformancetest.Without(ms, "sessionToken") })
		})),
		mutant("room-full-errno-121", "", false, nil, errnoMap(202, 121)),
	}
}

// pushBlocksCaller answers POST /calls/{token} only once the wake-up PUTs
// in flight have been answered (at most 8 s): a server that waits for the
// push server before answering the caller.
func pushBlocksCaller() conformancetest.Mutant {
	var started, inFlight atomic.Int64
	tr := pushTransport{
		edit: func(r *http.Request) *http.Request { started.Add(1); inFlight.Add(1); return r },
		done: func() { inFlight.Add(-1) },
	}
	return mutant("push-blocks-caller", "", false, pushClient(tr), responses(route("POST", "/calls/"), func(_ *http.Request, resp *conformancetest.Response) {
		if resp.Status != 200 {
			return
		}
		deadline := time.Now().Add(8 * time.Second)
		before := started.Load()
		for time.Now().Before(deadline) && (started.Load() == before && time.Until(deadline) > 7*time.Second || inFlight.Load() > 0) {
			time.Sleep(10 * time.Millisecond)
		}
	}))
}

// oneDevicePerUser drops the push URLs of a registered user's second
// registration: a server that keeps one device per user.
func oneDevicePerUser() wrapFunc {
	var mu sync.Mutex
	seen := map[string]bool{}
	return requests(func(r *http.Request) {
		a := r.Header.Get("Authorization")
		if r.Method != "POST" || !strings.HasPrefix(a, "BrowserID ") || r.Body == nil {
			return
		}
		mu.Lock()
		again := seen[a]
		seen[a] = true
		mu.Unlock()
		if again {
			r.Body = io.NopCloser(strings.NewReader(""))
			r.ContentLength = 0
		}
	})
}
