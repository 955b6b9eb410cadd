package limpsuite

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// anonSID is the anonymous session id.
const anonSID = "f00000000000000000000012"

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// signJWT signs payload under header (a JSON object) with key.
func signJWT(header, payload []byte, key string) string {
	s := b64(header) + "." + b64(payload)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(s))
	return s + "." + b64(m.Sum(nil))
}

// reply is one server message.
type reply struct {
	Status int
	Msg    string
	Args   map[string]json.RawMessage
	raw    []byte
}

func (r *reply) str(name string) string { return kit.Str(r.Args[name]) }
func (r *reply) code() string           { return r.str("code") }
func (r *reply) callID() string         { return r.str("call_id") }
func (r *reply) brief() string          { return fmt.Sprintf("%.400s", r.raw) }

// num returns args[name] as a number (-1 when it is not one).
func (r *reply) num(name string) float64 {
	var f float64
	if json.Unmarshal(r.Args[name], &f) != nil {
		return -1
	}
	return f
}

// docs returns args.docs.
func (r *reply) docs() []map[string]any {
	var d []map[string]any
	_ = json.Unmarshal(r.Args["docs"], &d)
	return d
}

// conn is one connection to the target with the state a client keeps.
type conn struct {
	t     *conformance.T
	ctx   context.Context
	ws    *kit.WS
	key   string // current signing key
	sid   string
	token string
}

func param(t *conformance.T, name string) string { return t.Param(name) }

// open connects and reads the greeting.
func open(ctx context.Context, t *conformance.T, header http.Header) *conn {
	ws := kit.Dial(ctx, t, t.URL(), kit.DialOptions{Header: header, ReadLimit: 1 << 20}, "101 Switching Protocols")
	anon := param(t, ParamAnonToken)
	c := &conn{t: t, ctx: ctx, ws: ws, key: anon, sid: anonSID, token: anon}
	g := c.read(`{"status":200,"msg":"Connection ready","args":{"code":"CORE_CONN_READY"}}`)
	if g.Status != 200 || g.code() != "CORE_CONN_READY" {
		t.Failf(`greeting {"status":200,"args":{"code":"CORE_CONN_READY"}}`, "%s", g.brief())
	}
	return c
}

// verified connects and verifies with the app parameter.
func verified(ctx context.Context, t *conformance.T) *conn {
	c := open(ctx, t, nil)
	r := c.call("conn/verify", nil, map[string]any{"app": param(t, ParamApp)})
	c.expect(r, 200, "CORE_CONN_OK")
	return c
}

// read reads the next message as a reply; anything else fails the case.
func (c *conn) read(expect string) *reply {
	b := c.ws.Read(expect)
	return c.parse(b, expect)
}

func (c *conn) parse(b []byte, expect string) *reply {
	var raw struct {
		Status *int
		Msg    *string
		Args   map[string]json.RawMessage
	}
	if err := json.Unmarshal(b, &raw); err != nil || raw.Status == nil || raw.Msg == nil {
		c.t.Failf(expect, "not a LIMP reply {status, msg, args}: %.300s", b)
	}
	return &reply{Status: *raw.Status, Msg: *raw.Msg, Args: raw.Args, raw: b}
}

// newID returns a call id like the SDK's.
func newID() string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b [6]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = digits[int(b[i])%36]
	}
	return string(b[:])
}

// claims returns the SDK's claims for a call.
func (c *conn) claims(endpoint string, query []any, doc map[string]any, id string) map[string]any {
	if query == nil {
		query = []any{}
	}
	if doc == nil {
		doc = map[string]any{}
	}
	now := time.Now().Unix()
	return map[string]any{
		"endpoint": endpoint, "doc": doc, "sid": c.sid, "token": c.token, "query": query,
		"awaitAuth": false, "call_id": id, "iat": now, "exp": now + 86400,
	}
}

// sendClaims signs claims with key under header and sends the frame with
// outer call_id id.
func (c *conn) sendClaims(header []byte, claims map[string]any, key, id string) {
	p, err := json.Marshal(claims)
	c.t.Check(err, "encoding the claims")
	frame, _ := json.Marshal(map[string]any{"token": signJWT(header, p, key), "call_id": id})
	c.ws.Send(string(frame))
}

// send sends one call signed with the current key and returns its id.
func (c *conn) send(endpoint string, query []any, doc map[string]any) string {
	id := newID()
	c.sendClaims([]byte(`{"alg":"HS256","typ":"JWT"}`), c.claims(endpoint, query, doc, id), c.key, id)
	return id
}

// call sends one call and reads its reply (the next message).
func (c *conn) call(endpoint string, query []any, doc map[string]any) *reply {
	id := c.send(endpoint, query, doc)
	r := c.read("the reply to " + endpoint)
	if got := r.callID(); got != id {
		c.t.Failf("a reply with call_id "+strconv.Quote(id), "%s", r.brief())
	}
	return r
}

// expect fails the case unless r has status and code ("" code: any).
func (c *conn) expect(r *reply, status int, code string) {
	if r.Status != status || code != "" && r.code() != code {
		c.t.Failf(fmt.Sprintf("status %d, args.code %q", status, code), "%s", r.brief())
	}
}

// expectMsg is expect plus an exact msg.
func (c *conn) expectMsg(r *reply, status int, code, msg string) {
	if r.Status != status || r.code() != code || r.Msg != msg {
		c.t.Failf(fmt.Sprintf("status %d, msg %q, args.code %q", status, msg, code), "%s", r.brief())
	}
}

// expectNothing fails the case if a message arrives, or the connection
// ends, within d. The connection is unusable afterwards.
func (c *conn) expectNothing(d time.Duration, what string) {
	b, err := c.ws.ReadWithin(d)
	switch {
	case err == nil:
		c.t.Failf(what, "%.300s", b)
	case !kit.TimedOut(c.ctx, err):
		c.t.Failf(what, "%s", kit.CloseText(c.ctx, err))
	}
}

// authHash is the client-side auth hash (docs section 6.1).
func authHash(t *conformance.T, attr, value, password string) string {
	list := []string{attr, value, password}
	if param(t, ParamHashLevel) != "5.0" {
		list = append(list, param(t, ParamAnonToken))
	}
	b, _ := json.Marshal(map[string]any{"hash": list})
	return b64(b)
}

// auth signs in with the test user and switches the key.
func (c *conn) auth() *reply {
	t := c.t
	attr, val := param(t, ParamAuthAttr), param(t, ParamAuthValue)
	r := c.call("session/auth", nil, map[string]any{attr: val, "hash": authHash(t, attr, val, param(t, ParamPassword))})
	c.expect(r, 200, "")
	var s struct {
		ID    string `json:"_id"`
		Token string `json:"token"`
	}
	if json.Unmarshal(r.Args["session"], &s) != nil || s.ID == "" || s.Token == "" {
		t.Failf("args.session with _id and token", "%s", r.brief())
	}
	c.sid, c.token, c.key = s.ID, s.Token, s.Token
	return r
}

// reauthHash is base64url of {"token": token}.
func reauthHash(token string) string {
	b, _ := json.Marshal(map[string]string{"token": token})
	return b64(b)
}
