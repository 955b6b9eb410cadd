package afb

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
	"github.com/appwire/appwire/internal/conformancetest"
	"github.com/gobwas/ws"
)

// Mutants: the reference binder with ONE behaviour flipped, by a handler
// wrapper (HTTP), a frame proxy (WebSocket) or a binder option. Each says
// what a broken server would do; TestProof checks each is caught.

type mutant struct {
	name    string
	profile string                          // "" is v6
	opts    func(*afbproto.Options)         // binder options
	wrap    func(http.Handler) http.Handler // HTTP wrapper
	proxy   *conformancetest.FrameProxy     // WebSocket proxy (Backend filled in)
}

// start is how every afb mutant starts: the reference binder of its
// profile with its options, behind its wrapper and its frame proxy.
func (m mutant) start(t *testing.T) conformance.Target {
	profile := m.profile
	if profile == "" {
		profile = ProfileV6
	}
	opts := optionsOf(profile)
	if m.opts != nil {
		m.opts(&opts)
	}
	b := startBinder(t, opts, m.wrap)
	addr := b.addr
	if m.proxy != nil {
		fp := *m.proxy
		fp.Backend = b.addr
		addr = conformancetest.StartFrameProxy(t, fp)
	}
	return target(addr, b.port)
}

// ---- JSON plumbing for rewriting replies without re-encoding them
// (conformancetest's rewriters, shortened).

type member = kit.Member

var (
	without = conformancetest.Without
	lookup  = conformancetest.Lookup
)

// editRequestObj applies f to the members of the reply's request object.
func editRequestObj(top []member, f func([]member) []member) []member {
	return conformancetest.EditMember(top, "request", f)
}

// httpReplies rewrites the members of every afb-reply sent over HTTP.
func httpReplies(f func(r *http.Request, top []member) []member) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return conformancetest.RewriteResponses(h, func(r *http.Request, resp *conformancetest.Response) {
			resp.Body = conformancetest.EditObject(resp.Body, func(top []member) []member { return f(r, top) })
		})
	}
}

// httpResponses rewrites every HTTP response.
func httpResponses(f func(r *http.Request, resp *conformancetest.Response)) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler { return conformancetest.RewriteResponses(h, f) }
}

// httpRequests rewrites every HTTP request.
func httpRequests(f func(r *http.Request)) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler { return conformancetest.RewriteRequests(h, f) }
}

// query edits the request's query.
func query(r *http.Request, f func(q url.Values)) {
	q := r.URL.Query()
	f(q)
	if enc := q.Encode(); enc != (url.Values(r.URL.Query())).Encode() {
		r.URL.RawQuery = enc
	}
}

var (
	elems     = conformancetest.Elements
	joinElems = conformancetest.JoinElements
	one       = conformancetest.One
)

// frames rewrites the elements of the text frames going one way; f
// returns the messages to send instead (nil drops the frame).
func frames(dir conformancetest.Direction, f func(el []json.RawMessage) [][]byte) *conformancetest.FrameProxy {
	return perConn(func() func(d conformancetest.Direction, p []byte) [][]byte {
		return func(d conformancetest.Direction, p []byte) [][]byte {
			if d != dir {
				return one(p)
			}
			el, ok := elems(p)
			if !ok {
				return one(p)
			}
			return f(el)
		}
	})
}

// perConn is frames with state per connection: mk is called once per
// connection.
func perConn(mk func() func(d conformancetest.Direction, p []byte) [][]byte) *conformancetest.FrameProxy {
	p := conformancetest.TextProxy(mk)
	return &p
}

func code(el []json.RawMessage) string { return string(el[0]) }

var reqidMember = regexp.MustCompile(`,"reqid":"[^"]*"`)

// ---- The mutants.

// shortMutants run under -short: one per way of breaking the binder
// (option, HTTP request and response wrappers, reply rewriting, frame
// proxies, per-connection state, another profile).
var shortMutants = map[string]bool{
	"any-token-accepted": true, "case-sensitive-names": true, "reply-jtype-first": true,
	"success-as-4": true, "uuid-on-every-ws-reply": true, "final-v6-status-names": true,
	"libafb-response-first": true, "1008-becomes-1000": true,
}

func mutants() []conformancetest.Mutant {
	var out []conformancetest.Mutant
	for _, m := range afbMutants() {
		out = append(out, conformancetest.Mutant{Name: m.name, Profile: m.profile, Short: shortMutants[m.name], Start: m.start})
	}
	return out
}

func afbMutants() []mutant {
	initial := func(tok afbproto.InitialToken) func(*afbproto.Options) {
		return func(o *afbproto.Options) { o.Token = tok }
	}
	return []mutant{
		// §1.1 URL layout.
		{name: "case-sensitive-names", wrap: httpRequests(func(r *http.Request) {
			if r.URL.Path != strings.ToLower(r.URL.Path) {
				r.URL.Path = "/nowhere"
			}
		})},
		{name: "no-slash-skipping", wrap: httpRequests(func(r *http.Request) {
			if strings.Contains(r.URL.Path, "//") {
				r.URL.Path = strings.ReplaceAll(r.URL.Path, "//", "/_/")
			}
		})},
		{name: "404-becomes-200", wrap: httpResponses(func(r *http.Request, resp *conformancetest.Response) {
			if resp.Status == http.StatusNotFound {
				resp.Status = http.StatusOK
			}
		})},
		{name: "verb-ends-at-slash", wrap: httpRequests(func(r *http.Request) {
			if p := strings.SplitN(r.URL.Path, "/", 5); len(p) == 5 {
				r.URL.Path = strings.Join(p[:4], "/")
			}
		})},
		{name: "unknown-api-is-fail", wrap: httpReplies(func(r *http.Request, top []member) []member {
			return editRequestObj(top, func(rq []member) []member {
				for i := range rq {
					if rq[i].Name == "status" && string(rq[i].Value) == `"unknown-api"` {
						rq[i].Value = json.RawMessage(`"fail"`)
					}
				}
				return rq
			})
		})},
		{name: "any-method", wrap: httpRequests(func(r *http.Request) {
			if r.Method != http.MethodPost {
				r.Method = http.MethodGet
			}
		})},
		{name: "401-becomes-404", wrap: httpResponses(func(r *http.Request, resp *conformancetest.Response) {
			if resp.Status == http.StatusUnauthorized {
				resp.Status = http.StatusNotFound
			}
		})},
		// §1.2 arguments.
		{name: "query-values-typed", wrap: httpRequests(func(r *http.Request) {
			if r.Method != http.MethodGet || r.URL.RawQuery == "" || !strings.Contains(r.URL.Path, "hello/ping") {
				return
			}
			obj := map[string]any{}
			for k, v := range r.URL.Query() {
				var x any
				if json.Unmarshal([]byte(v[len(v)-1]), &x) != nil {
					x = v[len(v)-1]
				}
				obj[k] = x
			}
			b, _ := json.Marshal(obj)
			r.Method, r.Body, r.ContentLength = http.MethodPost, readCloser(b), int64(len(b))
			r.Header.Set("Content-Type", "application/json")
		})},
		{name: "first-repeated-key-wins", wrap: httpRequests(func(r *http.Request) {
			query(r, func(q url.Values) {
				for k, v := range q {
					q[k] = v[:1]
				}
			})
		})},
		{name: "valueless-param-is-empty", wrap: httpRequests(func(r *http.Request) {
			if r.URL.RawQuery == "flag" {
				r.URL.RawQuery = "flag="
			}
		})},
		{name: "json-body-merged-with-query", wrap: httpRequests(func(r *http.Request) {
			if !strings.Contains(r.Header.Get("Content-Type"), "json") || r.URL.RawQuery == "" {
				return
			}
			var obj map[string]any
			body := readAll(r)
			if json.Unmarshal(body, &obj) != nil {
				r.Body = readCloser(body)
				return
			}
			for k, v := range r.URL.Query() {
				obj[k] = v[0]
			}
			b, _ := json.Marshal(obj)
			r.Body, r.ContentLength = readCloser(b), int64(len(b))
		})},
		{name: "urlencoded-accepted", wrap: httpRequests(func(r *http.Request) {
			if strings.Contains(r.Header.Get("Content-Type"), "urlencoded") {
				r.Header.Del("Content-Type")
			}
		})},
		{name: "bad-json-body-is-500", wrap: httpResponses(func(r *http.Request, resp *conformancetest.Response) {
			if resp.Status == http.StatusBadRequest && r.Method == http.MethodPost {
				resp.Status = http.StatusInternalServerError
			}
		})},
		{name: "multipart-fields-ignored", wrap: httpRequests(func(r *http.Request) {
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
				r.Header.Del("Content-Type")
			}
		})},
		// §1.3 inputs.
		{name: "uuid-arg-beats-header", wrap: httpRequests(func(r *http.Request) {
			if r.URL.Query().Has("x-afb-uuid") {
				r.Header.Del("X-Afb-Uuid")
			}
		})},
		{name: "cookie-beats-x-afb-uuid-arg", wrap: httpRequests(func(r *http.Request) {
			if r.Header.Get("Cookie") != "" {
				query(r, func(q url.Values) { q.Del("x-afb-uuid") })
			}
		})},
		{name: "uuid-arg-beats-cookie", wrap: httpRequests(func(r *http.Request) {
			if r.URL.Query().Has("uuid") {
				r.Header.Del("Cookie")
			}
		})},
		{name: "token-arg-beats-header", wrap: httpRequests(func(r *http.Request) {
			if r.URL.Query().Has("token") {
				r.Header.Del("X-Afb-Token")
			}
		})},
		{name: "token-beats-x-afb-token", wrap: httpRequests(func(r *http.Request) {
			if r.URL.Query().Has("token") {
				query(r, func(q url.Values) { q.Del("x-afb-token") })
			}
		})},
		{name: "reqid-not-echoed", wrap: httpResponses(func(r *http.Request, resp *conformancetest.Response) {
			resp.Body = reqidMember.ReplaceAll(resp.Body, nil)
		})},
		{name: "reqid-header-read", wrap: httpRequests(func(r *http.Request) {
			if v := r.Header.Get("X-Afb-Reqid"); v != "" {
				query(r, func(q url.Values) { q.Set("x-afb-reqid", v) })
			}
		})},
		// §1.4 cookie, §1.5 status codes.
		{name: "cookie-not-httponly", wrap: httpResponses(func(r *http.Request, resp *conformancetest.Response) {
			for i, c := range resp.Header["Set-Cookie"] {
				resp.Header["Set-Cookie"][i] = strings.ReplaceAll(c, "; HttpOnly", "")
			}
		})},
		{name: "cookie-on-every-reply", wrap: httpResponses(func(r *http.Request, resp *conformancetest.Response) {
			if c := r.Header.Get("Cookie"); c != "" && len(resp.Header["Set-Cookie"]) == 0 {
				resp.Header.Set("Set-Cookie", c+"; Path=/api; Max-Age=32000000; HttpOnly")
			}
		})},
		{name: "error-reply-is-500", wrap: httpResponses(func(r *http.Request, resp *conformancetest.Response) {
			if resp.Status == http.StatusOK && !bytes.Contains(resp.Body, []byte(`"status":"success"`)) {
				resp.Status = http.StatusInternalServerError
			}
		})},
		// §2.1 reply.
		{name: "reply-jtype-first", wrap: httpReplies(func(r *http.Request, top []member) []member {
			jt, _ := lookup(top, "jtype")
			return append([]member{{Name: "jtype", Value: jt}}, without(top, "jtype")...)
		})},
		{name: "null-response-kept", wrap: httpReplies(func(r *http.Request, top []member) []member {
			if _, ok := lookup(top, "response"); !ok {
				top = append([]member{{Name: "response", Value: json.RawMessage("null")}}, top...)
			}
			return top
		})},
		{name: "reqid-before-token", wrap: httpReplies(func(r *http.Request, top []member) []member {
			return editRequestObj(top, func(rq []member) []member {
				v, ok := lookup(rq, "reqid")
				if !ok {
					return rq
				}
				return append([]member{rq[0], {Name: "reqid", Value: v}}, without(rq[1:], "reqid")...)
			})
		})},
		// §3.1 initial token.
		{name: "other-initial-token", opts: initial(afbproto.FixedToken("OTHER"))},
		{name: "any-token-accepted", opts: initial(afbproto.AnyToken())},
		// §3.2 sessions.
		{name: "session-ids-not-uuids", wrap: httpRequests(func(r *http.Request) {
			q := r.URL.Query()
			if r.Header.Get("X-Afb-Uuid") == "" && r.Header.Get("Cookie") == "" && !q.Has("uuid") && !q.Has("x-afb-uuid") {
				r.Header.Set("X-Afb-Uuid", strings.ToUpper(newID("S")))
			}
		})},
		{name: "client-uuid-ignored", wrap: httpRequests(func(r *http.Request) {
			query(r, func(q url.Values) {
				if v := q.Get("uuid"); v != "" {
					q.Set("uuid", v+"-x")
				}
			})
		})},
		{name: "long-uuid-truncated", wrap: httpRequests(func(r *http.Request) {
			query(r, func(q url.Values) {
				if v := q.Get("uuid"); len(v) > 36 {
					q.Set("uuid", v[:36])
				}
			})
		})},
		// §3.3 what is sent back.
		{name: "uuid-never-sent", wrap: httpReplies(func(r *http.Request, top []member) []member {
			return editRequestObj(top, func(rq []member) []member { return without(rq, "uuid") })
		})},
		{name: "token-never-sent", wrap: httpReplies(func(r *http.Request, top []member) []member {
			return editRequestObj(top, func(rq []member) []member { return without(rq, "token") })
		})},
		{name: "token-sent-in-final", profile: ProfileFinal, wrap: httpReplies(func(r *http.Request, top []member) []member {
			return editRequestObj(top, func(rq []member) []member {
				return append(rq, member{Name: "token", Value: json.RawMessage(`"0b5d2f43-5a8e-4b8e-9d6e-3f1c2a7b9e10"`)})
			})
		})},
		// §3.5 auth.
		{name: "check-without-token-passes", wrap: httpRequests(func(r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "auth/check") && !r.URL.Query().Has("token") {
				r.URL.Path = strings.TrimSuffix(r.URL.Path, "check") + "ping"
			}
		})},
		{name: "logout-does-nothing", wrap: httpRequests(func(r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "auth/logout") {
				r.URL.Path = strings.TrimSuffix(r.URL.Path, "logout") + "ping"
			}
		})},
		refreshKeepsOldToken(),
		sessionDestroyedOn("wrong-token-destroys-session", `"invalid token's identity"`, ""),
		sessionDestroyedOn("logout-destroys-session", "", "auth/logout"),
		// §4.1 upgrade.
		{name: "no-subprotocol-in-101", proxy: &conformancetest.FrameProxy{Response: func(r *http.Request, resp *http.Response) {
			resp.Header.Del("Sec-WebSocket-Protocol")
		}}},
		{name: "upgrade-without-token", wrap: httpRequests(func(r *http.Request) {
			if r.Header.Get("Upgrade") != "" {
				query(r, func(q url.Values) { q.Set("token", testToken) })
			}
		})},
		{name: "upgrade-on-subpath", wrap: httpRequests(func(r *http.Request) {
			if r.Header.Get("Upgrade") != "" {
				r.URL.Path = "/api"
			}
		})},
		{name: "unknown-subprotocol-accepted", wrap: httpRequests(func(r *http.Request) {
			if !strings.Contains(r.Header.Get("Sec-WebSocket-Protocol"), subprotocol) {
				r.Header.Del("Sec-WebSocket-Protocol")
			}
		})},
		{name: "any-ws-version", wrap: httpRequests(func(r *http.Request) {
			if r.Header.Get("Sec-WebSocket-Version") != "" {
				r.Header.Set("Sec-WebSocket-Version", "13")
			}
		})},
		{name: "subprotocol-required", wrap: httpRequests(func(r *http.Request) {
			if r.Header.Get("Upgrade") != "" && r.Header.Get("Sec-WebSocket-Protocol") == "" {
				r.Header.Set("Sec-WebSocket-Protocol", "x-none")
			}
		})},
		{name: "first-subprotocol-only", wrap: httpRequests(func(r *http.Request) {
			if p := wsProtocols(r); len(p) > 1 {
				r.Header.Set("Sec-WebSocket-Protocol", p[0])
			}
		})},
		// §4.2 frames.
		{name: "success-as-4", proxy: frames(conformancetest.ToClient, func(el []json.RawMessage) [][]byte {
			if code(el) == "3" {
				el[0] = json.RawMessage("4")
			}
			return one(joinElems(el))
		})},
		{name: "error-as-3", proxy: frames(conformancetest.ToClient, func(el []json.RawMessage) [][]byte {
			if code(el) == "4" {
				el[0] = json.RawMessage("3")
			}
			return one(joinElems(el))
		})},
		{name: "numeric-id-echoed-as-number", proxy: frames(conformancetest.ToClient, func(el []json.RawMessage) [][]byte {
			if id := str(el[1]); (code(el) == "3" || code(el) == "4") && id != "" && strings.Trim(id, "0123456789") == "" {
				el[1] = json.RawMessage(id)
			}
			return one(joinElems(el))
		})},
		{name: "id-unescaped", proxy: frames(conformancetest.ToClient, func(el []json.RawMessage) [][]byte {
			if code(el) == "3" || code(el) == "4" {
				el[1] = bytes.ReplaceAll(el[1], []byte(`\"`), []byte(`\u0022`))
			}
			return one(joinElems(el))
		})},
		{name: "non-json-args-malformed", proxy: &conformancetest.FrameProxy{Frame: conformancetest.TextFrames(func(d conformancetest.Direction, p []byte) [][]byte {
			if d == conformancetest.ToServer && !json.Valid(p) {
				return one([]byte("{}"))
			}
			return one(p)
		})}},
		{name: "call-token-ignored", proxy: frames(conformancetest.ToServer, func(el []json.RawMessage) [][]byte {
			if code(el) == "2" && len(el) == 5 {
				el = el[:4]
			}
			return one(joinElems(el))
		})},
		{name: "call-token-sticky", proxy: perConn(func() func(conformancetest.Direction, []byte) [][]byte {
			var tok json.RawMessage
			return func(d conformancetest.Direction, p []byte) [][]byte {
				el, ok := elems(p)
				if d != conformancetest.ToServer || !ok || code(el) != "2" {
					return one(p)
				}
				if len(el) == 5 {
					tok = el[4]
				} else if tok != nil && len(el) == 4 {
					el = append(el, tok)
				}
				return one(joinElems(el))
			}
		})},
		{name: "no-4th-element", proxy: frames(conformancetest.ToClient, func(el []json.RawMessage) [][]byte {
			if (code(el) == "3" || code(el) == "4") && len(el) == 4 {
				el = el[:3]
			}
			return one(joinElems(el))
		})},
		{name: "4th-element-in-final", profile: ProfileFinal, proxy: frames(conformancetest.ToClient, func(el []json.RawMessage) [][]byte {
			if code(el) == "3" && len(el) == 3 {
				el = append(el, json.RawMessage(`"0b5d2f43-5a8e-4b8e-9d6e-3f1c2a7b9e10"`))
			}
			return one(joinElems(el))
		})},
		{name: "uuid-on-every-ws-reply", proxy: perConn(func() func(conformancetest.Direction, []byte) [][]byte {
			var uuid json.RawMessage
			return func(d conformancetest.Direction, p []byte) [][]byte {
				el, ok := elems(p)
				if d != conformancetest.ToClient || !ok || (code(el) != "3" && code(el) != "4") {
					return one(p)
				}
				top, _ := kit.Members(el[2])
				el[2] = kit.JoinMembers(editRequestObj(top, func(rq []member) []member {
					if v, ok := lookup(rq, "uuid"); ok {
						uuid = v
					} else if uuid != nil {
						rq = append(rq, member{Name: "uuid", Value: uuid})
					}
					return rq
				}))
				return one(joinElems(el))
			}
		})},
		{name: "1008-becomes-1000", proxy: &conformancetest.FrameProxy{Frame: func(d conformancetest.Direction, f ws.Frame) []ws.Frame {
			if d == conformancetest.ToClient && f.Header.OpCode == ws.OpClose && len(f.Payload) >= 2 && f.Payload[0] == 0x03 && f.Payload[1] == 0xf0 {
				f.Payload = []byte{0x03, 0xe8}
				f.Header.Length = 2
			}
			return []ws.Frame{f}
		}}},
		{name: "client-event-rejected", proxy: frames(conformancetest.ToServer, func(el []json.RawMessage) [][]byte {
			if code(el) == "5" {
				return one([]byte("{}"))
			}
			return one(joinElems(el))
		})},
		// §2.2 and §4.3 events.
		{name: "event-jtype-first", proxy: frames(conformancetest.ToClient, func(el []json.RawMessage) [][]byte {
			if code(el) == "5" && len(el) == 3 {
				ms, _ := kit.Members(el[2])
				jt, _ := lookup(ms, "jtype")
				el[2] = kit.JoinMembers(append([]member{{Name: "jtype", Value: jt}}, without(ms, "jtype")...))
			}
			return one(joinElems(el))
		})},
		{name: "reply-before-event", proxy: perConn(func() func(conformancetest.Direction, []byte) [][]byte {
			var held [][]byte
			return func(d conformancetest.Direction, p []byte) [][]byte {
				if d != conformancetest.ToClient {
					return one(p)
				}
				if bytes.HasPrefix(p, []byte("[5,")) {
					held = append(held, p)
					return nil
				}
				out := append([][]byte{p}, held...)
				held = nil
				return out
			}
		})},
		{name: "events-only-to-the-pusher", proxy: perConn(func() func(conformancetest.Direction, []byte) [][]byte {
			pushing := false
			return func(d conformancetest.Direction, p []byte) [][]byte {
				switch {
				case d == conformancetest.ToServer:
					pushing = bytes.Contains(p, []byte(`"hello/eventpush"`)) || bytes.Contains(p, []byte(`"hello/broadcast"`))
				case bytes.HasPrefix(p, []byte("[5,")) && !pushing:
					return nil
				}
				return one(p)
			}
		})},
		{name: "broadcast-needs-subscription", proxy: perConn(func() func(conformancetest.Direction, []byte) [][]byte {
			subscribed := false
			return func(d conformancetest.Direction, p []byte) [][]byte {
				switch {
				case d == conformancetest.ToServer && bytes.Contains(p, []byte(`"hello/eventsub"`)):
					subscribed = true
				case d == conformancetest.ToClient && bytes.HasPrefix(p, []byte("[5,")) && !subscribed:
					return nil
				}
				return one(p)
			}
		})},
		{name: "unsubscribe-ignored", proxy: frames(conformancetest.ToServer, func(el []json.RawMessage) [][]byte {
			if code(el) == "2" && str(el[2]) == "hello/eventunsub" {
				el[2] = json.RawMessage(`"hello/ping"`)
			}
			return one(joinElems(el))
		})},
		{name: "http-subscribe-succeeds", wrap: httpRequests(func(r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "hello/eventsub") {
				r.URL.Path = strings.TrimSuffix(r.URL.Path, "eventsub") + "ping"
			}
		})},
		// AGL-final: §1.3 inputs, §1.4 cookie, §1.5 401/403, §2.3 status
		// names, §3.5 auth, §4.1 upgrade, §4.2 per-call token.
		{name: "final-bearer-ignored", profile: ProfileFinal, wrap: httpRequests(func(r *http.Request) {
			r.Header.Del("Authorization")
		})},
		{name: "final-access-token-ignored", profile: ProfileFinal, wrap: httpRequests(func(r *http.Request) {
			query(r, func(q url.Values) { q.Del("access_token") })
		})},
		{name: "final-cookie-only-on-creation", profile: ProfileFinal, wrap: httpResponses(func(r *http.Request, resp *conformancetest.Response) {
			if r.Header.Get("Cookie") != "" {
				resp.Header.Del("Set-Cookie")
			}
		})},
		{name: "final-auth-errors-200", profile: ProfileFinal, wrap: httpResponses(func(r *http.Request, resp *conformancetest.Response) {
			if resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden {
				resp.Status = http.StatusOK
			}
		})},
		{name: "final-no-www-authenticate", profile: ProfileFinal, wrap: httpResponses(func(r *http.Request, resp *conformancetest.Response) {
			resp.Header.Del("WWW-Authenticate")
		})},
		{name: "final-v6-status-names", profile: ProfileFinal, wrap: httpReplies(func(r *http.Request, top []member) []member {
			return editRequestObj(top, func(rq []member) []member {
				for i, m := range rq {
					if m.Name == "status" && (str(m.Value) == "invalid-token" || str(m.Value) == "insufficient-scope") {
						rq[i].Value = json.RawMessage(`"denied"`)
					}
				}
				return rq
			})
		})},
		{name: "final-logout-does-nothing", profile: ProfileFinal, wrap: httpRequests(func(r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "auth/logout") {
				r.URL.Path = strings.TrimSuffix(r.URL.Path, "logout") + "ping"
			}
		})},
		{name: "final-upgrade-checks-token", profile: ProfileFinal, wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tok := r.URL.Query().Get("token"); strings.EqualFold(r.URL.Path, "/api") && (tok == "" || tok == testBadToken) {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				h.ServeHTTP(w, r)
			})
		}},
		{name: "final-call-token-ignored", profile: ProfileFinal, proxy: frames(conformancetest.ToServer, func(el []json.RawMessage) [][]byte {
			if code(el) == "2" && len(el) == 5 {
				el = el[:4]
			}
			return one(joinElems(el))
		})},
		// V6's rule: a call's token counts for that call only, later calls
		// fall back to the upgrade's token (testToken in the cases).
		{name: "final-call-token-for-that-call-only", profile: ProfileFinal, proxy: perConn(func() func(conformancetest.Direction, []byte) [][]byte {
			tokenSeen := false
			return func(d conformancetest.Direction, p []byte) [][]byte {
				el, ok := elems(p)
				if d != conformancetest.ToServer || !ok || code(el) != "2" {
					return one(p)
				}
				if len(el) == 5 {
					tokenSeen = true
				} else if tokenSeen && len(el) == 4 {
					el = append(el, json.RawMessage(`"`+testToken+`"`))
				}
				return one(joinElems(el))
			}
		})},
		// libafb: §1.4 SameSite, §1.5 404, §2.1 and §2.2 member order.
		{name: "libafb-no-samesite", profile: ProfileLibafb, wrap: httpResponses(func(r *http.Request, resp *conformancetest.Response) {
			for i, c := range resp.Header["Set-Cookie"] {
				resp.Header["Set-Cookie"][i] = strings.ReplaceAll(c, "; SameSite=Lax;", "")
			}
		})},
		{name: "libafb-unknown-is-200", profile: ProfileLibafb, wrap: httpResponses(func(r *http.Request, resp *conformancetest.Response) {
			if resp.Status == http.StatusNotFound && len(resp.Body) > 0 {
				resp.Status = http.StatusOK
			}
		})},
		{name: "libafb-response-first", profile: ProfileLibafb, wrap: httpReplies(func(r *http.Request, top []member) []member {
			if v, ok := lookup(top, "response"); ok {
				return append([]member{{Name: "response", Value: v}}, without(top, "response")...)
			}
			return top
		})},
		{name: "libafb-no-code", profile: ProfileLibafb, wrap: httpReplies(func(r *http.Request, top []member) []member {
			return editRequestObj(top, func(rq []member) []member { return without(rq, "code") })
		})},
		{name: "libafb-event-json-c-order", profile: ProfileLibafb, proxy: frames(conformancetest.ToClient, func(el []json.RawMessage) [][]byte {
			if code(el) == "5" && len(el) == 3 {
				ms, _ := kit.Members(el[2])
				jt, _ := lookup(ms, "jtype")
				el[2] = kit.JoinMembers(append(without(ms, "jtype"), member{Name: "jtype", Value: jt}))
			}
			return one(joinElems(el))
		})},
	}
}

func wsProtocols(r *http.Request) []string {
	var out []string
	for _, l := range r.Header.Values("Sec-WebSocket-Protocol") {
		out = append(out, strings.FieldsFunc(l, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' })...)
	}
	return out
}

// refreshKeepsOldToken: a token that was refreshed away still works (the
// wrapper swaps it for its successor).
func refreshKeepsOldToken() mutant {
	var mu sync.Mutex
	next := map[string]string{}
	return mutant{name: "refresh-keeps-old-token", wrap: func(h http.Handler) http.Handler {
		return conformancetest.RewriteResponses(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			query(r, func(q url.Values) {
				for tok := q.Get("token"); next[tok] != ""; tok = next[tok] {
					q.Set("token", next[tok])
				}
			})
			mu.Unlock()
			h.ServeHTTP(w, r)
		}), func(r *http.Request, resp *conformancetest.Response) {
			if !strings.HasSuffix(r.URL.Path, "auth/refresh") {
				return
			}
			if rp, err := parseReply(resp.Body); err == nil && rp.get("token") != "" {
				mu.Lock()
				next[r.URL.Query().Get("token")] = rp.get("token")
				mu.Unlock()
			}
		})
	}}
}

// sessionDestroyedOn: like V1-2016, a session is destroyed (its uuid then
// names a fresh session with the initial token) after a reply containing
// marker, or after a call of path.
func sessionDestroyedOn(name, marker, path string) mutant {
	var mu sync.Mutex
	gen := map[string]int{}
	return mutant{name: name, wrap: func(h http.Handler) http.Handler {
		return conformancetest.RewriteResponses(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			query(r, func(q url.Values) {
				if u := q.Get("uuid"); u != "" && gen[u] > 0 {
					q.Set("uuid", u+strings.Repeat("~", gen[u]))
				}
			})
			mu.Unlock()
			h.ServeHTTP(w, r)
		}), func(r *http.Request, resp *conformancetest.Response) {
			u := strings.TrimRight(r.URL.Query().Get("uuid"), "~")
			if u == "" {
				return
			}
			if (marker != "" && bytes.Contains(resp.Body, []byte(marker))) || (path != "" && strings.HasSuffix(r.URL.Path, path)) {
				mu.Lock()
				gen[u]++
				mu.Unlock()
			}
		})
	}}
}

func readCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

func readAll(r *http.Request) []byte {
	b, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	r.Body.Close()
	return b
}
