package afbproto_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/internal/wsconn"
)

// The session, token and status rules of each dialect (package doc,
// "Dialects"), over real sockets.

// rejectBAD is a TokenValidator that refuses the token "BAD" only.
func rejectBAD(tok string) bool { return tok != "BAD" }

// dialectServer starts a binder of dialect d: V1/V6 with the initial token
// HELLO, AGL-final/libafb with rejectBAD.
func dialectServer(t *testing.T, d afbproto.Dialect, extra ...afbproto.API) string {
	t.Helper()
	opts := afbproto.Options{Dialect: d, Token: afbproto.FixedToken("HELLO")}
	if d == afbproto.DialectAGLFinal || d == afbproto.DialectLibafb {
		opts.TokenValidator = rejectBAD
	}
	_, srv := startServer(t, opts, extra...)
	return srv.URL
}

// dGet is a GET whose reply is parsed whatever the HTTP status.
type dResp struct {
	status int
	header http.Header
	body   string
	reply  afbproto.Reply
}

func dGet(t *testing.T, u string, hdr ...string) dResp {
	t.Helper()
	r := srvGet(t, u, hdr...)
	out := dResp{status: r.status, header: r.header, body: r.body}
	if err := afbproto.ParseReply([]byte(r.body), &out.reply); err != nil {
		t.Fatalf("GET %s: HTTP %d %q: %v", u, r.status, r.body, err)
	}
	return out
}

// failAPI fails with the status given as the verb name.
func failAPI() afbproto.API {
	var verbs []afbproto.Verb
	for _, s := range []string{afbproto.StatusInternalError, afbproto.StatusOutOfMemory, afbproto.StatusNotAvailable, afbproto.StatusFailed} {
		verbs = append(verbs, afbproto.Verb{Name: s, Handler: func(r *afbproto.Request) { r.Fail(s, "") }})
	}
	return afbproto.API{Name: "fail", Verbs: verbs}
}

func TestServerDialectFrameworkReplies(t *testing.T) {
	type want struct {
		http         int
		status, info string
		code         int
		auth         string
	}
	const (
		unkAPI = "unknown api"
		unkVrb = "unknown verb"
		badTok = "bad token"
		badLOA = "bad LOA"
		intErr = "internal-error"
		oom    = "out-of-memory"
		notAv  = "not-available"
		failed = "failed"
	)
	paths := map[string]string{
		unkAPI: "/api/nope/ping",
		unkVrb: "/api/hello/nope",
		badTok: "/api/auth/check?token=BAD",
		badLOA: "/api/auth/check?token=HELLO",
		intErr: "/api/fail/internal-error",
		oom:    "/api/fail/out-of-memory",
		notAv:  "/api/fail/not-available",
		failed: "/api/fail/failed",
	}
	cases := []struct {
		d    afbproto.Dialect
		want map[string]want
	}{
		{afbproto.DialectV6, map[string]want{
			unkAPI: {200, "unknown-api", "api nope not found (for verb ping)", 0, ""},
			unkVrb: {200, "unknown-verb", "verb nope unknown within api hello", 0, ""},
			badTok: {200, "denied", "invalid token's identity", 0, ""},
			badLOA: {200, "denied", "invalid LOA", 0, ""},
			intErr: {200, "internal-error", "", 0, ""},
			notAv:  {200, "not-available", "", 0, ""},
		}},
		{afbproto.DialectV1, map[string]want{
			unkAPI: {200, "fail", "api not found", 0, ""},
			unkVrb: {200, "unknown-verb", "verb nope unknown within api hello", 0, ""},
			badTok: {200, "failed", "invalid token's identity", 0, ""},
			badLOA: {200, "failed", "invalid LOA", 0, ""},
			intErr: {200, "internal-error", "", 0, ""},
		}},
		{afbproto.DialectAGLFinal, map[string]want{
			unkAPI: {200, "unknown-api", "api nope not found (for verb ping)", 0, ""},
			unkVrb: {200, "unknown-verb", "verb nope unknown within api hello", 0, ""},
			badTok: {401, "invalid-token", "invalid token", 0, `error="invalid_token"`},
			badLOA: {403, "insufficient-scope", "invalid LOA", 0, `error="insufficient_scope"`},
			intErr: {200, "internal-error", "", 0, ""},
			oom:    {200, "out-of-memory", "", 0, ""},
			notAv:  {200, "not-available", "", 0, ""},
			failed: {200, "failed", "", 0, ""},
		}},
		{afbproto.DialectLibafb, map[string]want{
			unkAPI: {404, "unknown-api", "api nope not found (for verb ping)", -3, ""},
			unkVrb: {404, "unknown-verb", "verb nope unknown within api hello", -4, ""},
			badTok: {401, "invalid-token", "invalid token", -7, `error="invalid_token"`},
			badLOA: {403, "insufficient-scope", "invalid LOA", -9, `error="insufficient_scope"`},
			intErr: {500, "internal-error", "", -1, ""},
			oom:    {500, "out-of-memory", "", -2, ""},
			notAv:  {501, "not-available", "", -5, ""},
			failed: {200, "failed", "", 0, ""},
		}},
	}
	for _, c := range cases {
		t.Run(c.d.String(), func(t *testing.T) {
			base := dialectServer(t, c.d, failAPI())
			for what, w := range c.want {
				r := dGet(t, base+paths[what])
				if r.status != w.http || r.reply.Status != w.status || r.reply.Info != w.info || r.reply.Code != w.code ||
					r.header.Get("WWW-Authenticate") != w.auth {
					t.Errorf("%s: HTTP %d [WWW-Authenticate: %q] %s\nwant HTTP %d %+v", what, r.status,
						r.header.Get("WWW-Authenticate"), r.body, w.http, w)
				}
			}
		})
	}
}

// TestServerDialectCookie: V1 Max-Age 3600, V6 only on creation,
// AGL-final on every reply, libafb with SameSite=Lax.
func TestServerDialectCookie(t *testing.T) {
	for _, c := range []struct {
		d             afbproto.Dialect
		suffix        string // after the uuid
		onEveryReply  bool
		onFailedToken bool // the 401/denied reply of a new session carries it
	}{
		{afbproto.DialectV6, "; Path=/api; Max-Age=32000000; HttpOnly", false, false},
		{afbproto.DialectV1, "; Path=/api; Max-Age=3600; HttpOnly", false, false},
		{afbproto.DialectAGLFinal, "; Path=/api; Max-Age=32000000; HttpOnly", true, true},
		{afbproto.DialectLibafb, "; Path=/api; Max-Age=32000000; HttpOnly; SameSite=Lax;", true, true},
	} {
		t.Run(c.d.String(), func(t *testing.T) {
			base := dialectServer(t, c.d)
			port := strings.TrimPrefix(base[strings.LastIndexByte(base, ':'):], ":")
			r := dGet(t, base+"/api/hello/ping")
			u := strings.TrimPrefix(strings.SplitN(r.header.Get("Set-Cookie"), ";", 2)[0], "x-afb-uuid-"+port+"=")
			if got, want := r.header.Get("Set-Cookie"), "x-afb-uuid-"+port+"="+u+c.suffix; got != want || !uuidRE.MatchString(u) {
				t.Fatalf("creating request: Set-Cookie %q, want %q", got, want)
			}
			r = dGet(t, base+"/api/hello/ping", "Cookie", "x-afb-uuid-"+port+"="+u)
			if got := r.header.Get("Set-Cookie"); (got != "") != c.onEveryReply || got != "" && !strings.Contains(got, "="+u+";") {
				t.Fatalf("existing session: Set-Cookie %q, want it: %v", got, c.onEveryReply)
			}
			r = dGet(t, base+"/api/auth/check?token=BAD&uuid=s-bad")
			if got := r.header.Get("Set-Cookie"); (got != "") != c.onFailedToken {
				t.Fatalf("failed token check: Set-Cookie %q, want it: %v", got, c.onFailedToken)
			}
		})
	}
}

// TestServerFinalTokenInputs: Authorization: Bearer, then access_token,
// then the V6 three; V6 reads none of the first two.
func TestServerFinalTokenInputs(t *testing.T) {
	places := []struct {
		name string
		put  func(q url.Values, h []string, tok string) []string
	}{
		{"bearer", func(q url.Values, h []string, tok string) []string { return append(h, "Authorization", "Bearer "+tok) }},
		{"access_token", func(q url.Values, h []string, tok string) []string { q.Set("access_token", tok); return h }},
		{"x-afb-token header", func(q url.Values, h []string, tok string) []string { return append(h, "X-Afb-Token", tok) }},
		{"x-afb-token arg", func(q url.Values, h []string, tok string) []string { q.Set("x-afb-token", tok); return h }},
		{"token arg", func(q url.Values, h []string, tok string) []string { q.Set("token", tok); return h }},
	}
	for _, d := range []afbproto.Dialect{afbproto.DialectAGLFinal, afbproto.DialectLibafb} {
		t.Run(d.String(), func(t *testing.T) {
			base := dialectServer(t, d)
			status := func(first, second int, tok1, tok2 string) string {
				q := url.Values{}
				h := places[first].put(q, nil, tok1)
				h = places[second].put(q, h, tok2)
				return dGet(t, base+"/api/auth/connect?"+q.Encode(), h...).reply.Status
			}
			for i := range places {
				for j := i + 1; j < len(places); j++ {
					if s := status(i, j, "BAD", "GOOD"); s != afbproto.StatusInvalidToken {
						t.Errorf("%s=BAD beats %s=GOOD: status %q", places[i].name, places[j].name, s)
					}
					if s := status(i, j, "GOOD", "BAD"); s != afbproto.StatusSuccess {
						t.Errorf("%s=GOOD beats %s=BAD: status %q", places[i].name, places[j].name, s)
					}
				}
			}
			if r := dGet(t, base+"/api/auth/connect", "Authorization", "bEaReR BAD"); r.reply.Status != afbproto.StatusInvalidToken {
				t.Errorf("the Bearer scheme is case-insensitive: %s", r.body)
			}
		})
	}
	t.Run("V6 ignores them", func(t *testing.T) {
		base := dialectServer(t, afbproto.DialectV6)
		if r := dGet(t, base+"/api/auth/connect?access_token=HELLO", "Authorization", "Bearer HELLO"); r.reply.Status != afbproto.StatusDenied {
			t.Errorf("V6 with the token as Bearer and access_token: %s", r.body)
		}
	})
}

// TestServerFinalNoInitialToken: without a validator every token is
// valid, none included; auth works without a token being handed out, and
// nothing comes back.
func TestServerFinalNoInitialToken(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Dialect: afbproto.DialectAGLFinal, Token: afbproto.FixedToken("HELLO")})
	for _, step := range []struct{ path, status string }{
		{"/api/auth/check?uuid=f1", afbproto.StatusInsufficientScope},
		{"/api/auth/connect?uuid=f1&token=anything", afbproto.StatusSuccess},
		{"/api/auth/check?uuid=f1", afbproto.StatusSuccess},
		{"/api/auth/refresh?uuid=f1&token=other", afbproto.StatusSuccess},
		{"/api/auth/check?uuid=f1&token=anything", afbproto.StatusSuccess}, // the refresh changed nothing
		{"/api/auth/logout?uuid=f1", afbproto.StatusSuccess},
		{"/api/auth/check?uuid=f1", afbproto.StatusInsufficientScope},
	} {
		r := dGet(t, srv.URL+step.path)
		if r.reply.Status != step.status || r.reply.Token != "" || r.reply.UUID != "" {
			t.Fatalf("%s: %s, want status %q and no token or uuid", step.path, r.body, step.status)
		}
	}
	// A validator sees "" for a request without a token.
	_, srv = startServer(t, afbproto.Options{Dialect: afbproto.DialectAGLFinal, TokenValidator: func(tok string) bool { return tok != "" }})
	if r := dGet(t, srv.URL+"/api/auth/connect"); r.status != 401 || r.reply.Status != afbproto.StatusInvalidToken {
		t.Fatalf("no token, validator wants one: HTTP %d %s", r.status, r.body)
	}
}

// TestServerV1SessionDestroyed: a failed token check and a logout destroy
// the session; the uuid then names a fresh one with the initial token. V6
// keeps it.
func TestServerV1SessionDestroyed(t *testing.T) {
	type step struct {
		path, tok string // tok "T1" stands for the token connect returned
		status    string
		created   bool // request.uuid: the request created the session
	}
	wrongTokenSteps := func(fail string, destroyed bool) []step {
		return []step{
			{"connect", "HELLO", "success", true},
			{"check", "WRONG", fail, false},
			{"check", "T1", map[bool]string{true: fail, false: "success"}[destroyed], false},
			{"connect", "HELLO", map[bool]string{true: "success", false: fail}[destroyed], destroyed},
		}
	}
	logoutSteps := func(fail string, destroyed bool) []step {
		return []step{
			{"connect", "HELLO", "success", true},
			{"logout", "T1", "success", false},
			{"connect", "HELLO", map[bool]string{true: "success", false: fail}[destroyed], destroyed},
		}
	}
	for _, c := range []struct {
		name  string
		d     afbproto.Dialect
		steps []step
	}{
		{"V1 wrong token", afbproto.DialectV1, wrongTokenSteps("failed", true)},
		{"V6 wrong token", afbproto.DialectV6, wrongTokenSteps("denied", false)},
		{"V1 logout", afbproto.DialectV1, logoutSteps("failed", true)},
		{"V6 logout", afbproto.DialectV6, logoutSteps("denied", false)},
	} {
		t.Run(c.name, func(t *testing.T) {
			base := dialectServer(t, c.d)
			t1 := ""
			for i, s := range c.steps {
				tok := s.tok
				if tok == "T1" {
					tok = t1
				}
				r := dGet(t, base+"/api/auth/"+s.path+"?uuid=sess1&token="+url.QueryEscape(tok))
				if r.reply.Status != s.status || (r.reply.UUID == "sess1") != s.created {
					t.Fatalf("step %d %s(%s): %s, want status %q, uuid sent back: %v", i, s.path, s.tok, r.body, s.status, s.created)
				}
				if s.path == "connect" && r.reply.Token != "" {
					t1 = r.reply.Token
				}
			}
		})
	}
}

// TestServerV1WebSocketWrongTokenDestroys: a failed per-call token check
// over WebSocket destroys the session too.
func TestServerV1WebSocketWrongTokenDestroys(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Dialect: afbproto.DialectV1, Token: afbproto.FixedToken("HELLO")})
	c := srvDial(t, srv, "/api?uuid=ws1&token=HELLO", wsconn.DialOptions{})
	srvSend(t, c, `[2,"1","auth/connect",null]`)
	if f, r := srvRecvFrame(t, c); f.Type != afbproto.FrameReplyOK || r.Token == "" {
		t.Fatalf("connect: %s", f.Append(nil))
	}
	srvSend(t, c, `[2,"2","auth/check",null,"WRONG"]`)
	if got := srvRecv(t, c); got != `[4,"2",{"jtype":"afb-reply","request":{"status":"failed","info":"invalid token's identity"}}]` {
		t.Fatalf("wrong token: %s", got)
	}
	// The session ws1 is gone: HELLO works again on a fresh one.
	if r := dGet(t, srv.URL+"/api/auth/connect?uuid=ws1&token=HELLO"); r.reply.Status != "success" || r.reply.UUID != "ws1" {
		t.Fatalf("connect(HELLO) on the destroyed uuid: %s", r.body)
	}
}

// TestServerFinalWebSocket: no token check at upgrade; the connection's
// token is the upgrade's until a call's 5th element replaces it; 3-element
// replies without token or uuid.
func TestServerFinalWebSocket(t *testing.T) {
	for _, d := range []afbproto.Dialect{afbproto.DialectAGLFinal, afbproto.DialectLibafb} {
		t.Run(d.String(), func(t *testing.T) {
			_, srv := startServer(t, afbproto.Options{Dialect: d, TokenValidator: rejectBAD})
			if r := srvGet(t, srv.URL+"/api"); r.status != 404 {
				t.Fatalf("plain GET /api without a token: %d, want 404", r.status)
			}
			c := srvDial(t, srv, "/api?token=BAD&uuid=w1", wsconn.DialOptions{})
			for i, step := range []struct {
				tok    string // 5th element, "" for none
				status string
			}{
				{"", afbproto.StatusInvalidToken}, // the upgrade's token
				{"GOOD", afbproto.StatusSuccess},
				{"", afbproto.StatusSuccess}, // GOOD replaced BAD
				{"BAD", afbproto.StatusInvalidToken},
				{"", afbproto.StatusInvalidToken}, // and BAD replaced GOOD
			} {
				msg := `[2,"c","auth/connect",null`
				if step.tok != "" {
					msg += `,"` + step.tok + `"`
				}
				srvSend(t, c, msg+"]")
				f, r := srvRecvFrame(t, c)
				wantType := afbproto.FrameReplyOK
				if step.status != afbproto.StatusSuccess {
					wantType = afbproto.FrameReplyError
				}
				if f.Type != wantType || f.HasToken() || r.Status != step.status || r.Token != "" || r.UUID != "" {
					t.Fatalf("step %d (token %q): %s, want status %q in 3 elements", i, step.tok, f.Append(nil), step.status)
				}
			}
		})
	}
	t.Run("V6 still checks at upgrade", func(t *testing.T) {
		_, srv := startServer(t, afbproto.Options{TokenValidator: func(string) bool { return true }})
		_, err := wsconn.Dial(srvCtx(t), srvWSURL(srv, "/api?token=BAD"), wsconn.DialOptions{Protocols: []string{afbproto.Subprotocol}})
		if wsconn.HandshakeStatus(err) != 401 {
			t.Fatalf("V6 upgrade with a wrong token: %v, want 401", err)
		}
	})
}

// TestServerLibafbExactReplies pins libafb's bytes for framework errors.
func TestServerLibafbExactReplies(t *testing.T) {
	base := dialectServer(t, afbproto.DialectLibafb)
	r := srvGet(t, base+"/api/nope/ping")
	if want := `{"jtype":"afb-reply","request":{"status":"unknown-api","info":"api nope not found (for verb ping)","code":-3}}`; r.status != 404 || r.body != want {
		t.Fatalf("HTTP %d %s\nwant 404 %s", r.status, r.body, want)
	}
}
