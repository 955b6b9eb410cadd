package afb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
	"github.com/appwire/appwire/internal/wsconn"
)

// What afb adds to the kit: where the API root is, the session cookie and
// tokens, the afb-reply object and the x-afb-ws-json1 frames. Replies are
// checked with encoding/json and raw byte scans, never with the afbproto
// codec, so a codec bug cannot hide a server bug.

// maxBody bounds what a case reads of any HTTP body or WebSocket message.
const maxBody = 64 << 10

// subprotocol is the only WebSocket subprotocol afb-daemon speaks.
const subprotocol = "x-afb-ws-json1"

// root returns the target URL parsed, without a trailing slash.
func root(t *conformance.T) *url.URL {
	u, err := url.Parse(strings.TrimRight(t.URL(), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		t.Errorf("TARGET %q is not an http:// URL of the API root, like http://127.0.0.1:1234/api", t.URL())
	}
	if u.Path == "" {
		t.Errorf("TARGET %q has no API root path (afb-daemon's --rootapi, usually /api)", t.URL())
	}
	u.RawQuery, u.Fragment = "", ""
	return u
}

// apiURL returns the URL of path (e.g. "hello/ping") under the API root,
// with query q.
func apiURL(t *conformance.T, path string, q url.Values) string {
	s := root(t).String() + "/" + path
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// cookieName is the session cookie's name, x-afb-uuid-<PORT>.
func cookieName(t *conformance.T) string {
	port := t.Param("port")
	if port == "" {
		u := root(t)
		port = u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
	}
	return "x-afb-uuid-" + port
}

// token returns the target's initial token (the token param).
func token(t *conformance.T) string { return t.Param("token") }

// needToken skips a case that needs a token the target rejects: with an
// empty initial token every token is accepted.
func needToken(t *conformance.T) {
	if token(t) == "" {
		t.Skipf("the token param is empty: an empty session token accepts any token, so a rejection cannot be observed")
	}
}

// rejected returns a token the target rejects with the status and info
// of the rejection (V6: denied; final, libafb: invalid-token), or skips
// the case when no such token is known.
func rejected(t *conformance.T) (tok, status, info string) {
	if t.Profile() == ProfileV6 {
		needToken(t)
		return kit.NewID("wrong-"), "denied", "invalid token's identity"
	}
	tok = t.Param("badtoken")
	if tok == "" {
		t.Skipf("the badtoken param is empty: without a token the target's permission check rejects (every token is valid without Cynara), a rejection cannot be observed")
	}
	return tok, "invalid-token", "invalid token"
}

// newID returns a random hex string with prefix, for uuids, event names
// and tags that must not collide with other cases running at the same
// time.
func newID(prefix string) string { return kit.NewID(prefix) }

// ---------------------------------------------------------------------------
// HTTP

// response is one HTTP response, body read (bounded).
type response = kit.Response

// sessionCookie returns the Set-Cookie of the session cookie, or nil.
func sessionCookie(t *conformance.T, r *response) *http.Cookie { return r.Cookie(cookieName(t)) }

// request is one HTTP request to the target.
type request struct {
	Method string      // "" means GET
	Path   string      // under the API root, e.g. "hello/ping"; "" is the root itself
	Query  url.Values  // encoded as the query string
	RawURL string      // overrides Path and Query: a full URL
	Header http.Header // extra headers
	Type   string      // Content-Type of Body
	Body   []byte
}

// do sends req on a fresh connection and reads the response (kit.Do: an
// unreachable target is an Error, no valid response a Fail).
func do(ctx context.Context, t *conformance.T, req request) *response {
	u := req.RawURL
	if u == "" {
		u = apiURL(t, req.Path, req.Query)
	}
	h := req.Header.Clone()
	if req.Type != "" {
		if h == nil {
			h = http.Header{}
		}
		h.Set("Content-Type", req.Type)
	}
	return kit.Do(ctx, t, kit.Request{Method: req.Method, URL: u, Header: h, Body: req.Body, MaxBody: maxBody})
}

// call sends req and decodes the body as an afb reply; a body that is not
// one fails the case.
func call(ctx context.Context, t *conformance.T, req request) (*response, *reply) {
	r := do(ctx, t, req)
	if r.Status != http.StatusOK && len(r.Body) == 0 {
		t.Failf("an afb-reply JSON object", "HTTP %d with an empty body", r.Status)
	}
	rep, err := parseReply(r.Body)
	if err != nil {
		t.Failf("an afb-reply JSON object", "%v: %.200q", err, r.Body)
	}
	return r, rep
}

// ---------------------------------------------------------------------------
// Replies

// reply is a decoded afb-reply object (spec §2.1).
type reply struct {
	Raw      []byte
	Members  []string                   // top-level member names, in wire order
	Obj      map[string]json.RawMessage // top-level members
	Req      map[string]json.RawMessage // members of "request"
	ReqOrder []string                   // request member names, in wire order
	Status   string
	Info     string
}

// parseReply decodes raw as an afb-reply object.
func parseReply(raw []byte) (*reply, error) {
	r := &reply{Raw: raw}
	var err error
	if r.Members, err = kit.MemberOrder(raw); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &r.Obj); err != nil {
		return nil, err
	}
	if jt := str(r.Obj["jtype"]); jt != "afb-reply" {
		return nil, fmt.Errorf(`"jtype" is %s, not "afb-reply"`, orMissing(r.Obj["jtype"]))
	}
	rq, ok := r.Obj["request"]
	if !ok {
		return nil, errors.New(`no "request" member`)
	}
	if r.ReqOrder, err = kit.MemberOrder(rq); err != nil {
		return nil, fmt.Errorf(`"request": %w`, err)
	}
	if err := json.Unmarshal(rq, &r.Req); err != nil {
		return nil, fmt.Errorf(`"request": %w`, err)
	}
	if _, ok := r.Req["status"]; !ok {
		return nil, errors.New(`no "request.status" member`)
	}
	r.Status, r.Info = str(r.Req["status"]), str(r.Req["info"])
	return r, nil
}

// has reports whether request has member name.
func (r *reply) has(name string) bool { _, ok := r.Req[name]; return ok }

// get returns request member name as a string ("" when absent or not a
// string).
func (r *reply) get(name string) string { return str(r.Req[name]) }

// brief is the reply for an "actual" line.
func (r *reply) brief() string { return fmt.Sprintf("%.300s", r.Raw) }

// args returns the arguments the hello binding's ping verb saw: its info
// text is "Ping Binder Daemon tag=... count=N query=<JSON>".
func (r *reply) args(t *conformance.T) json.RawMessage {
	i := strings.Index(r.Info, "query=")
	if i < 0 {
		t.Failf(`hello/ping info "... query=<the arguments as JSON>"`, "info %q", r.Info)
	}
	q := strings.TrimSpace(r.Info[i+len("query="):])
	if !json.Valid([]byte(q)) {
		t.Failf(`hello/ping info "... query=<the arguments as JSON>"`, "info %q: the query is not JSON", r.Info)
	}
	return json.RawMessage(q)
}

// str decodes a JSON string ("" for anything else).
func str(raw json.RawMessage) string { return kit.Str(raw) }

func orMissing(raw json.RawMessage) string {
	if raw == nil {
		return "missing"
	}
	return string(raw)
}

// skipUnknownAPI skips a case whose binding is missing on the target.
func skipUnknownAPI(t *conformance.T, r *reply, api string) {
	if r.Status == "unknown-api" {
		t.Skipf("the target has no %q API (%s): this case needs the %s sample binding", api, r.Info, api)
	}
}

// expectStatus fails unless the reply's status is want.
func expectStatus(t *conformance.T, r *reply, want string) {
	if r.Status != want {
		t.Failf(fmt.Sprintf("request.status %q", want), "%s", r.brief())
	}
}

// ---------------------------------------------------------------------------
// WebSocket

// wsURL returns the ws:// URL of the API root with query q.
func wsURL(t *conformance.T, q url.Values) string {
	u := root(t)
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// tokenQuery is the query that authenticates an upgrade with the initial
// token.
func tokenQuery(t *conformance.T) url.Values { return url.Values{"token": {token(t)}} }

// wsClient is an x-afb-ws-json1 connection to the target.
type wsClient struct {
	*kit.WS
	t *conformance.T
}

// dialWS upgrades to the API root with query q. A refused upgrade fails
// the case; a target that cannot be reached is an Error.
func dialWS(ctx context.Context, t *conformance.T, q url.Values) *wsClient {
	w := kit.Dial(ctx, t, wsURL(t, q), kit.DialOptions{Protocols: []string{subprotocol}, ReadLimit: maxBody},
		"101 Switching Protocols with Sec-WebSocket-Protocol: "+subprotocol)
	return &wsClient{WS: w, t: t}
}

// frame is a decoded x-afb-ws-json1 message: a JSON array.
type frame struct {
	Raw  []byte
	El   []json.RawMessage
	Code int
}

func parseFrame(raw []byte) (*frame, error) {
	f := &frame{Raw: raw}
	if err := json.Unmarshal(raw, &f.El); err != nil {
		return nil, fmt.Errorf("not a JSON array: %v", err)
	}
	if len(f.El) == 0 || json.Unmarshal(f.El[0], &f.Code) != nil {
		return nil, errors.New("the first element is not a message code")
	}
	return f, nil
}

// id returns the frame's second element as a string.
func (f *frame) id() string { return str(f.El[1]) }

// readFrame reads and decodes one message.
func (w *wsClient) readFrame(expect string) *frame {
	raw := w.Read(expect)
	f, err := parseFrame(raw)
	if err != nil {
		w.t.Failf(expect, "%v: %.200s", err, raw)
	}
	return f
}

// readNonEvent reads the next frame that is not an event: broadcasts of
// cases running at the same time reach every socket of the binder.
func (w *wsClient) readNonEvent(expect string) *frame {
	for {
		if f := w.readFrame(expect); f.Code != 5 {
			return f
		}
	}
}

// wsReply is a reply frame [3|4, id, reply(, token)].
type wsReply struct {
	*frame
	*reply
	Events []*frame // events received before the reply
}

// call sends a call with the given raw elements and reads until the reply
// with that id, keeping the events seen before it.
func (w *wsClient) call(id, apiVerb, args string, tok ...string) *wsReply {
	msg := fmt.Sprintf(`[2,%q,%q,%s`, id, apiVerb, args)
	for _, k := range tok {
		msg += fmt.Sprintf(",%q", k)
	}
	w.Send(msg + "]")
	return w.replyTo(id)
}

// replyTo reads until the reply to id.
func (w *wsClient) replyTo(id string) *wsReply {
	expect := fmt.Sprintf(`a reply [3,%q,...] or [4,%q,...]`, id, id)
	var events []*frame
	for {
		f := w.readFrame(expect)
		if f.Code == 5 {
			events = append(events, f)
			continue
		}
		if f.Code != 3 && f.Code != 4 || len(f.El) < 3 || len(f.El) > 4 {
			w.t.Failf(expect, "%.300s", f.Raw)
		}
		if f.id() != id {
			w.t.Failf(expect, "a reply to another id: %.300s", f.Raw)
		}
		r, err := parseReply(f.El[2])
		if err != nil {
			w.t.Failf(expect+" carrying an afb-reply object", "%v: %.300s", err, f.Raw)
		}
		return &wsReply{frame: f, reply: r, Events: events}
	}
}

// expectClose reads until the connection ends and fails unless the server
// closed it with code; events (broadcasts from other cases) are skipped.
func (w *wsClient) expectClose(code int) {
	w.ExpectClose(code, fmt.Sprintf("the server closes the connection with code %d, no reply", code), isEvent)
}

func isEvent(msg []byte) bool { return bytes.HasPrefix(msg, []byte("[5,")) }

// expectRefused fails unless dialing u with opts is refused with status.
func expectRefused(ctx context.Context, t *conformance.T, u string, opts kit.DialOptions, status int, why string) {
	w, err := kit.TryDial(ctx, t, u, opts)
	if err == nil {
		w.Conn().CloseNow()
		t.Failf("HTTP "+http.StatusText(status)+" ("+why+")", "HTTP 101: the upgrade was accepted")
	}
	if got := wsconn.HandshakeStatus(err); got != status {
		t.Failf("HTTP "+http.StatusText(status)+" ("+why+")", "%s", kit.HandshakeText(err))
	}
}

// ---------------------------------------------------------------------------
// Raw HTTP, for requests net/http will not send (bad WebSocket versions).

// rawRequest writes req as is on a fresh connection and reads one response.
func rawRequest(ctx context.Context, t *conformance.T, req string) *response {
	u := root(t)
	if u.Scheme == "https" {
		t.Skipf("raw requests are sent over plain TCP only; the target is https")
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return kit.DoRaw(ctx, t, addr, req)
}

// upgradeRequest is a raw WebSocket upgrade request to the API root path
// plus suffix, with extra header lines.
func upgradeRequest(t *conformance.T, suffix string, q url.Values, extra ...string) string {
	u := root(t)
	target := u.EscapedPath() + suffix
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	lines := []string{
		"GET " + target + " HTTP/1.1",
		"Host: " + u.Host,
		"Upgrade: websocket",
		"Connection: Upgrade",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
	}
	lines = append(lines, extra...)
	return strings.Join(lines, "\r\n") + "\r\n\r\n"
}
