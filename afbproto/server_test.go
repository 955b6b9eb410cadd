package afbproto_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/internal/wsconn"
)

// binder starts a binder with the auth and hello APIs (and extra) on a
// real loopback port.
func startServer(t testing.TB, opts afbproto.Options, extra ...afbproto.API) (*afbproto.Binder, *httptest.Server) {
	t.Helper()
	b, err := afbproto.NewBinder(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range append([]afbproto.API{afbproto.NewAuthAPI(), afbproto.NewHelloAPI()}, extra...) {
		if err := b.AddAPI(a); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(b)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.Shutdown(ctx)
	})
	return b, srv
}

func srvCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type srvResp struct {
	status int
	header http.Header
	body   string
	reply  afbproto.Reply
}

func srvDo(t testing.TB, req *http.Request) srvResp {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	r := srvResp{status: res.StatusCode, header: res.Header, body: string(body)}
	if res.StatusCode == 200 {
		if err := afbproto.ParseReply(body, &r.reply); err != nil {
			t.Fatalf("%s %s: %v in %s", req.Method, req.URL, err, body)
		}
	}
	return r
}

func srvGet(t testing.TB, url string, hdr ...string) srvResp {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return srvDo(t, req)
}

func srvPost(t testing.TB, url, ctype, body string) srvResp {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return srvDo(t, req)
}

func srvPort(srv *httptest.Server) string {
	_, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return p
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestServerHTTPPingExactReply(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.FixedToken("HELLO")})
	r := srvGet(t, srv.URL+"/api/hello/ping?x=1")
	if r.status != 200 || !uuidRE.MatchString(r.reply.UUID) {
		t.Fatalf("status %d reply %+v", r.status, r.reply)
	}
	want := `{"response":"Some String","jtype":"afb-reply","request":{"status":"success","info":"Ping Binder Daemon tag=pingSample count=1 query={ \"x\": \"1\" }","uuid":"` + r.reply.UUID + `"}}`
	if r.body != want {
		t.Fatalf("body\n got %s\nwant %s", r.body, want)
	}
	if ct, ok := r.header["Content-Type"]; ok {
		t.Fatalf("Content-Type %q sent; upstream sends none", ct)
	}
	wantCookie := "x-afb-uuid-" + srvPort(srv) + "=" + r.reply.UUID + "; Path=/api; Max-Age=32000000; HttpOnly"
	if got := r.header.Get("Set-Cookie"); got != wantCookie {
		t.Fatalf("cookie %q, want %q", got, wantCookie)
	}
	// The cookie finds the session again: no uuid, no cookie this time.
	r2 := srvGet(t, srv.URL+"/api/hello/ping", "Cookie", "x-afb-uuid-"+srvPort(srv)+"="+r.reply.UUID)
	if r2.reply.UUID != "" || r2.header.Get("Set-Cookie") != "" || !strings.Contains(r2.reply.Info, "count=2 query={ }") {
		t.Fatalf("second call: %+v %v", r2.reply, r2.header)
	}
}

func TestServerHTTPURLLayout(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.AnyToken()})
	for _, tt := range []struct {
		path, status string
		code         int
	}{
		{"/api//hello//ping", afbproto.StatusSuccess, 200},
		{"/API/HELLO/PING", afbproto.StatusSuccess, 200},
		{"/api/hello/ping/extra", afbproto.StatusUnknownVerb, 200},
		{"/api/nope/ping", afbproto.StatusUnknownAPI, 200},
		{"/api/", "", 404},
		{"/api/hello", "", 404},
		{"/api/hello/", "", 404},
		{"/apix/hello/ping", "", 404},
		{"/other", "", 404},
	} {
		r := srvGet(t, srv.URL+tt.path)
		if r.status != tt.code || r.reply.Status != tt.status {
			t.Errorf("%s: %d %q, want %d %q", tt.path, r.status, r.reply.Status, tt.code, tt.status)
		}
		if r.status != 200 && r.body != "" {
			t.Errorf("%s: body %q, want empty", tt.path, r.body)
		}
	}
	r := srvGet(t, srv.URL+"/api/nope/ping")
	if r.reply.Info != "api nope not found (for verb ping)" {
		t.Errorf("unknown-api info %q", r.reply.Info)
	}
	r = srvGet(t, srv.URL+"/api/hello/ping/extra")
	if r.reply.Info != "verb ping/extra unknown within api hello" {
		t.Errorf("unknown-verb info %q", r.reply.Info)
	}
	req, _ := http.NewRequest("PUT", srv.URL+"/api/hello/ping", nil)
	if r := srvDo(t, req); r.status != 400 || r.body != "" {
		t.Errorf("PUT: %d %q", r.status, r.body)
	}
}

func TestServerHTTPArguments(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.AnyToken()})
	r := srvGet(t, srv.URL+"/api/hello/echo?a=1&b&a=2&reqid=R42")
	if string(r.reply.Response) != `{"a":"2","b":null,"reqid":"R42"}` || r.reply.ReqID != "R42" {
		t.Fatalf("query args: %s reqid %q", r.reply.Response, r.reply.ReqID)
	}
	if !strings.HasSuffix(r.body, `,"reqid":"R42"}}`) {
		t.Fatalf("reqid is not the last member: %s", r.body)
	}
	r = srvGet(t, srv.URL+"/api/hello/echo?x-afb-reqid=A&reqid=B")
	if r.reply.ReqID != "A" {
		t.Fatalf("x-afb-reqid does not win: %q", r.reply.ReqID)
	}
	r = srvGet(t, srv.URL+"/api/hello/echo?reqid=B", "x-afb-reqid", "H")
	if r.reply.ReqID != "B" {
		t.Fatalf("the x-afb-reqid header must be ignored: %q", r.reply.ReqID)
	}
	r = srvPost(t, srv.URL+"/api/hello/echo?q=1", "Application/JSON; charset=utf-8", `[1,{"j":true}]`)
	if string(r.reply.Response) != `[1,{"j":true}]` {
		t.Fatalf("JSON body: %s", r.reply.Response)
	}
	if r := srvPost(t, srv.URL+"/api/hello/echo", "application/json", `{"j":`); r.status != 400 {
		t.Fatalf("invalid JSON: %d", r.status)
	}
	if r := srvPost(t, srv.URL+"/api/hello/echo", "application/x-www-form-urlencoded", `a=1`); r.status != 415 || r.body != "" {
		t.Fatalf("urlencoded: %d %q", r.status, r.body)
	}
	if r := srvPost(t, srv.URL+"/api/hello/echo?q=1", "", ``); string(r.reply.Response) != `{"q":"1"}` {
		t.Fatalf("POST without body: %s", r.reply.Response)
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("a", "form")
	fw, _ := mw.CreateFormFile("f", "hello.txt")
	fw.Write([]byte("file content"))
	mw.Close()
	r = srvPost(t, srv.URL+"/api/hello/echo?a=query&q=1", mw.FormDataContentType(), body.String())
	var got struct {
		A, Q string
		F    struct{ File, Path string }
	}
	if err := json.Unmarshal(r.reply.Response, &got); err != nil || got.A != "form" || got.Q != "1" || got.F.File != "hello.txt" || got.F.Path == "" {
		t.Fatalf("multipart: %s %v", r.reply.Response, err)
	}
}

func TestServerHTTPBodyLimit(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.AnyToken(), MaxMessageSize: 16})
	if r := srvPost(t, srv.URL+"/api/hello/echo", "application/json", `"0123456789012345678"`); r.status != 413 {
		t.Fatalf("got %d, want 413", r.status)
	}
}

func TestServerHTTPSessions(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.FixedToken("HELLO"), SessionMax: 3})
	r := srvGet(t, srv.URL+"/api/hello/session?uuid=my-own-id")
	if r.reply.UUID != "my-own-id" {
		t.Fatalf("client-chosen uuid: %+v", r.reply)
	}
	r = srvGet(t, srv.URL+"/api/hello/session?uuid=my-own-id")
	if r.reply.UUID != "" || !strings.Contains(string(r.reply.Response), `"my-own-id"`) {
		t.Fatalf("known uuid: %+v %s", r.reply, r.reply.Response)
	}
	// Precedence: header, x-afb-uuid argument, cookie, uuid argument.
	cookie := "x-afb-uuid-" + srvPort(srv) + "=my-own-id"
	for _, tt := range []struct {
		query string
		hdr   []string
	}{
		{"?uuid=other", []string{"x-afb-uuid", "my-own-id", "Cookie", "x-afb-uuid-" + srvPort(srv) + "=other"}},
		{"?x-afb-uuid=my-own-id&uuid=other", []string{"Cookie", "x-afb-uuid-" + srvPort(srv) + "=other"}},
		{"?uuid=other", []string{"Cookie", cookie}},
	} {
		r := srvGet(t, srv.URL+"/api/hello/session"+tt.query, tt.hdr...)
		if r.reply.UUID != "" || !strings.Contains(string(r.reply.Response), `"my-own-id"`) {
			t.Errorf("%s %v: %s", tt.query, tt.hdr, r.reply.Response)
		}
	}
	if r := srvGet(t, srv.URL+"/api/hello/ping?uuid="+strings.Repeat("u", 37)); r.status != 500 || r.body != "" {
		t.Fatalf("37-char uuid: %d", r.status)
	}
	if r := srvGet(t, srv.URL+"/api/hello/ping?uuid="+strings.Repeat("u", 36)); r.status != 200 {
		t.Fatalf("36-char uuid: %d", r.status)
	}
	srvGet(t, srv.URL+"/api/hello/ping") // third session
	if r := srvGet(t, srv.URL+"/api/hello/ping"); r.status != 500 {
		t.Fatalf("session-max: %d", r.status)
	}
	if r := srvGet(t, srv.URL+"/api/hello/ping?uuid=my-own-id"); r.status != 200 {
		t.Fatalf("existing session at session-max: %d", r.status)
	}
}

func TestServerHTTPSessionExpiry(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.AnyToken(), SessionTimeout: time.Nanosecond})
	srvGet(t, srv.URL+"/api/hello/ping?uuid=short")
	// Expired: the same uuid makes a new session, so the uuid comes back.
	if r := srvGet(t, srv.URL+"/api/hello/ping?uuid=short"); r.reply.UUID != "short" {
		t.Fatalf("expired session reused: %+v", r.reply)
	}
}

// TestHTTPAuthSequence replays the V6-2019 sequence observed in spec §3.5.
func TestServerHTTPAuthSequence(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.FixedToken("HELLO")})
	u := srv.URL + "/api/auth/"
	call := func(verb, token string) afbproto.Reply {
		t.Helper()
		q := "?uuid=seq"
		if token != "" {
			q += "&token=" + token
		}
		return srvGet(t, u+verb+q).reply
	}
	expect := func(r afbproto.Reply, status, info string) {
		t.Helper()
		if r.Status != status || r.Info != info {
			t.Fatalf("got %s/%q, want %s/%q", r.Status, r.Info, status, info)
		}
	}
	r := call("connect", "HELLO")
	expect(r, "success", "")
	if string(r.Response) != `{"token":"A New Token and Session Context Was Created"}` || !uuidRE.MatchString(r.Token) || r.UUID != "seq" {
		t.Fatalf("connect: %+v %s", r, r.Response)
	}
	t1 := r.Token
	expect(call("check", t1), "success", "")
	expect(call("check", ""), "denied", afbproto.InfoInvalidToken)
	r = call("refresh", t1)
	expect(r, "success", "")
	t2 := r.Token
	if t2 == "" || t2 == t1 || string(r.Response) != `{"token":"Token was refreshed"}` {
		t.Fatalf("refresh: %+v", r)
	}
	expect(call("check", t1), "denied", afbproto.InfoInvalidToken)
	expect(call("check", t2), "success", "")
	expect(call("connect", "HELLO"), "denied", afbproto.InfoInvalidToken)
	r = call("logout", t2)
	expect(r, "success", "")
	if string(r.Response) != `{"info":"Token and all resources are released"}` || r.Token != "" || r.UUID != "" {
		t.Fatalf("logout: %+v", r)
	}
	expect(call("check", t2), "denied", afbproto.InfoInvalidLOA)
	expect(call("connect", "HELLO"), "denied", afbproto.InfoInvalidToken)
	r = call("ping", "")
	if string(r.Response) != `{"count":0}` {
		t.Fatalf("ping: %s", r.Response)
	}
}

func TestServerRandomInitialToken(t *testing.T) {
	b, srv := startServer(t, afbproto.Options{})
	if !uuidRE.MatchString(b.InitialToken()) {
		t.Fatalf("random token %q", b.InitialToken())
	}
	if r := srvGet(t, srv.URL+"/api/auth/connect?token=HELLO"); r.reply.Status != "denied" {
		t.Fatalf("a guessed token passed: %+v", r.reply)
	}
	if r := srvGet(t, srv.URL+"/api/auth/connect?token="+b.InitialToken()); r.reply.Status != "success" {
		t.Fatalf("the secret did not pass: %+v", r.reply)
	}
	if _, err := afbproto.NewBinder(afbproto.Options{Token: afbproto.FixedToken(strings.Repeat("t", 37))}); err == nil {
		t.Fatal("a 37-byte token was accepted")
	}
}

func TestServerHTTPSubscribeFails(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.AnyToken()})
	if r := srvGet(t, srv.URL+"/api/hello/eventadd?tag=t&name=ev"); r.reply.Status != "success" {
		t.Fatal(r.reply)
	}
	r := srvGet(t, srv.URL+"/api/hello/eventsub?tag=t")
	if r.reply.Status != "failed" || r.reply.Info != "subscription error" {
		t.Fatalf("got %+v", r.reply)
	}
}

func TestServerHTTPTokenHeaderPrecedence(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.FixedToken("HELLO")})
	if r := srvGet(t, srv.URL+"/api/auth/check?token=BAD", "x-afb-token", "HELLO"); r.reply.Info != afbproto.InfoInvalidLOA {
		t.Fatalf("the header token did not win: %+v", r.reply)
	}
	if r := srvGet(t, srv.URL+"/api/auth/check?token=HELLO&x-afb-token=BAD"); r.reply.Info != afbproto.InfoInvalidToken {
		t.Fatalf("x-afb-token did not win over token: %+v", r.reply)
	}
}

// misbehaving returns an API whose verbs break the rules.
func misbehavingAPI(replied chan error) afbproto.API {
	return afbproto.API{Name: "bad", Verbs: []afbproto.Verb{
		{Name: "panic", Handler: func(r *afbproto.Request) { panic("boom") }},
		{Name: "silent", Handler: func(r *afbproto.Request) {}},
		{Name: "twice", Handler: func(r *afbproto.Request) {
			r.Reply("one", "")
			replied <- r.Reply("two", "")
		}},
		{Name: "hang", Handler: func(r *afbproto.Request) { <-r.Context().Done() }},
		{Name: "badjson", Handler: func(r *afbproto.Request) { r.Reply(json.RawMessage(`{`), "") }},
	}}
}

func TestServerMisbehavingBindings(t *testing.T) {
	replied := make(chan error, 1)
	_, srv := startServer(t, afbproto.Options{Token: afbproto.AnyToken(), APITimeout: 100 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)}, misbehavingAPI(replied))
	for verb, status := range map[string]string{
		"panic": afbproto.StatusInternalError, "silent": afbproto.StatusInternalError,
		"hang": afbproto.StatusAborted, "badjson": afbproto.StatusInternalError,
	} {
		if r := srvGet(t, srv.URL+"/api/bad/"+verb); r.reply.Status != status {
			t.Errorf("%s: %+v, want %s", verb, r.reply, status)
		}
	}
	if r := srvGet(t, srv.URL+"/api/bad/twice"); string(r.reply.Response) != `"one"` {
		t.Errorf("twice: %+v", r.reply)
	}
	if err := <-replied; !errors.Is(err, afbproto.ErrAlreadyReplied) {
		t.Errorf("second reply: %v", err)
	}
	if r := srvGet(t, srv.URL+"/api/hello/async"); string(r.reply.Response) != `"async reply"` {
		t.Errorf("async: %+v", r.reply)
	}
}

func TestServerAddAPIErrors(t *testing.T) {
	b, _ := afbproto.NewBinder(afbproto.Options{})
	if err := b.AddAPI(afbproto.NewHelloAPI()); err != nil {
		t.Fatal(err)
	}
	h := afbproto.NewHelloAPI()
	h.Name = "HELLO"
	if err := b.AddAPI(h); !errors.Is(err, afbproto.ErrAPIExists) {
		t.Errorf("duplicate: %v", err)
	}
	for _, a := range []afbproto.API{{Name: ""}, {Name: "a/b"}, {Name: "x", Verbs: []afbproto.Verb{{Name: "v"}}}} {
		if err := b.AddAPI(a); !errors.Is(err, afbproto.ErrInvalidName) {
			t.Errorf("%+v: %v", a, err)
		}
	}
}

// --- WebSocket ---

func srvWSURL(srv *httptest.Server, q string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + q
}

func srvDial(t testing.TB, srv *httptest.Server, q string, opts wsconn.DialOptions) *wsconn.Conn {
	t.Helper()
	if opts.Protocols == nil {
		opts.Protocols = []string{afbproto.Subprotocol}
	}
	c, err := wsconn.Dial(srvCtx(t), srvWSURL(srv, q), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func srvSend(t testing.TB, c *wsconn.Conn, s string) {
	t.Helper()
	if err := c.WriteText(srvCtx(t), []byte(s)); err != nil {
		t.Fatal(err)
	}
}

func srvRecv(t testing.TB, c *wsconn.Conn) string {
	t.Helper()
	_, msg, err := c.ReadMessage(srvCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(msg)
}

func srvRecvFrame(t testing.TB, c *wsconn.Conn) (afbproto.Frame, afbproto.Reply) {
	t.Helper()
	var f afbproto.Frame
	var r afbproto.Reply
	msg := srvRecv(t, c)
	if err := f.Parse([]byte(msg)); err != nil {
		t.Fatalf("%s: %v", msg, err)
	}
	if f.Type == afbproto.FrameReplyOK || f.Type == afbproto.FrameReplyError {
		if err := afbproto.ParseReply(f.Payload, &r); err != nil {
			t.Fatal(err)
		}
	}
	return f, r
}

func TestServerWSUpgradeRules(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.FixedToken("HELLO")})
	ctx := srvCtx(t)
	status := func(q string, opts wsconn.DialOptions) int {
		t.Helper()
		c, err := wsconn.Dial(ctx, srvWSURL(srv, q), opts)
		if err == nil {
			c.CloseNow()
			return 101
		}
		return wsconn.HandshakeStatus(err)
	}
	if s := status("/api", wsconn.DialOptions{Protocols: []string{afbproto.Subprotocol}}); s != 401 {
		t.Errorf("no token: %d, want 401", s)
	}
	if s := status("/api?token=HELLO", wsconn.DialOptions{Protocols: []string{"foo bar"}}); s != 412 {
		t.Errorf("unknown subprotocol: %d, want 412", s)
	}
	if s := status("/api?token=HELLO", wsconn.DialOptions{Protocols: []string{"foo\tbar, x-afb-ws-json1"}}); s != 101 {
		t.Errorf("listed subprotocol: %d, want 101", s)
	}
	if s := status("/api/?token=HELLO", wsconn.DialOptions{Protocols: []string{afbproto.Subprotocol}}); s != 404 {
		t.Errorf("/api/: %d, want 404", s)
	}
	if s := status("/API?token=HELLO", wsconn.DialOptions{Protocols: []string{afbproto.Subprotocol}}); s != 101 {
		t.Errorf("/API: %d, want 101", s)
	}
	c, err := wsconn.Dial(ctx, srvWSURL(srv, "/api?token=HELLO"), wsconn.DialOptions{AllowUnofferedProtocol: true})
	if err != nil || c.Protocol() != afbproto.Subprotocol {
		t.Fatalf("no subprotocol offered: %v, protocol %q", err, c.Protocol())
	}
	c.CloseNow()

	// Plain GETs and a bad version.
	r := srvGet(t, srv.URL+"/api")
	if r.status != 401 || !strings.HasPrefix(r.header.Get("Set-Cookie"), "x-afb-uuid-") {
		t.Errorf("GET /api: %d %v", r.status, r.header)
	}
	if r := srvGet(t, srv.URL+"/api?token=HELLO"); r.status != 404 {
		t.Errorf("GET /api?token: %d", r.status)
	}
	r = srvGet(t, srv.URL+"/api?token=HELLO", "Upgrade", "websocket", "Connection", "Upgrade",
		"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version", "8")
	if r.status != 426 || r.header.Get("Sec-WebSocket-Version") != "13" {
		t.Errorf("version 8: %d %v", r.status, r.header)
	}
}

func TestServerWSCallsAndTokens(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.FixedToken("HELLO")})
	c := srvDial(t, srv, "/api?token=HELLO", wsconn.DialOptions{})
	srvSend(t, c, `[2,"1","hello/ping",{"x":"1"}]`)
	f, r := srvRecvFrame(t, c)
	if f.Type != afbproto.FrameReplyOK || string(f.ID) != "1" || !uuidRE.MatchString(r.UUID) || f.HasToken() {
		t.Fatalf("first call: %+v %+v", f, r)
	}
	srvSend(t, c, `[2,7,"hello/ping",null]`)
	if f, r := srvRecvFrame(t, c); string(f.ID) != "7" || r.UUID != "" {
		t.Fatalf("second call: %+v %+v", f, r)
	}
	srvSend(t, c, `[2,"x7","auth/connect",null]`)
	f, r = srvRecvFrame(t, c)
	if f.Type != afbproto.FrameReplyOK || !f.HasToken() || string(f.Token) != r.Token || !uuidRE.MatchString(r.Token) {
		t.Fatalf("connect: %+v %+v", f, r)
	}
	want := `[3,"x7",{"response":{"token":"A New Token and Session Context Was Created"},"jtype":"afb-reply","request":{"status":"success","token":"` + r.Token + `"}},"` + r.Token + `"]`
	if got := string(f.Append(nil)); got != want {
		t.Fatalf("connect frame\n got %s\nwant %s", got, want)
	}
	srvSend(t, c, `[2,"4","auth/check",null,"WRONGTOKEN"]`)
	if got := srvRecv(t, c); got != `[4,"4",{"jtype":"afb-reply","request":{"status":"denied","info":"invalid token's identity"}}]` {
		t.Fatalf("wrong per-call token: %s", got)
	}
	// The wrong token was for that call only.
	srvSend(t, c, `[2,"5","auth/check",null]`)
	if f, _ := srvRecvFrame(t, c); f.Type != afbproto.FrameReplyOK {
		t.Fatalf("check without token: %s", f.Append(nil))
	}
	srvSend(t, c, `[2,"6","auth/check",null,"`+r.Token+`"]`)
	if f, _ := srvRecvFrame(t, c); f.Type != afbproto.FrameReplyOK {
		t.Fatalf("check with the new token: %s", f.Append(nil))
	}
	// Quirks: non-JSON args become a string; client events are ignored.
	srvSend(t, c, `[5,"hello/x",{"event":"hello/x","jtype":"afb-event"}]`)
	srvSend(t, c, `[2,"8","hello/echo",not json]`)
	if _, r := srvRecvFrame(t, c); string(r.Response) != `"not json"` {
		t.Fatalf("non-JSON args: %s", r.Response)
	}
	srvSend(t, c, `[2,"9","/ping",null]`)
	if _, r := srvRecvFrame(t, c); r.Status != afbproto.StatusUnknownAPI || r.Info != "api  not found (for verb ping)" {
		t.Fatalf("empty api: %+v", r)
	}
}

func TestServerWSFirstCallCarriesUUIDOnlyForNewSessions(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.AnyToken()})
	srvGet(t, srv.URL+"/api/hello/ping?uuid=known")
	c := srvDial(t, srv, "/api?uuid=known", wsconn.DialOptions{})
	srvSend(t, c, `[2,"1","hello/session",null]`)
	if _, r := srvRecvFrame(t, c); r.UUID != "" || !strings.Contains(string(r.Response), `"known"`) {
		t.Fatalf("existing session: %+v %s", r, r.Response)
	}
}

func srvExpectClose(t *testing.T, c *wsconn.Conn, code int) {
	t.Helper()
	for {
		_, msg, err := c.ReadMessage(srvCtx(t), nil)
		if err != nil {
			if got := wsconn.CloseStatus(err); got != code {
				t.Fatalf("got %v, want close %d", err, code)
			}
			return
		}
		t.Fatalf("got message %s, want close %d", msg, code)
	}
}

func TestServerWSMalformedFramesClose1008(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.AnyToken()})
	good := srvDial(t, srv, "/api", wsconn.DialOptions{})
	for _, bad := range []string{
		`{}`, `[]`, `[2,"1","hello/ping"]`, `[2,"1","hello",null]`, `[9,"1","hello/ping",null]`,
		`[3,"1",{"jtype":"afb-reply","request":{"status":"success"}}]`, "[2,\n\"1\",\"hello/ping\",null]", `nope`,
	} {
		c := srvDial(t, srv, "/api", wsconn.DialOptions{})
		srvSend(t, c, bad)
		srvExpectClose(t, c, 1008)
		srvSend(t, good, `[2,"ok","hello/ping",null]`)
		if f, _ := srvRecvFrame(t, good); string(f.ID) != "ok" {
			t.Fatalf("the other client stopped working after %q", bad)
		}
	}
	c := srvDial(t, srv, "/api", wsconn.DialOptions{})
	if err := c.WriteMessage(srvCtx(t), wsconn.Binary, []byte(`[2,"1","hello/ping",null]`)); err != nil {
		t.Fatal(err)
	}
	srvExpectClose(t, c, 1008)
}

func TestServerWSMessageTooBig(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.AnyToken(), MaxMessageSize: 64})
	c := srvDial(t, srv, "/api", wsconn.DialOptions{})
	srvSend(t, c, `[2,"1","hello/echo",{"x":"`+strings.Repeat("a", 64)+`"}]`)
	srvExpectClose(t, c, 1009)
}

func TestServerWSEvents(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.AnyToken()})
	a := srvDial(t, srv, "/api", wsconn.DialOptions{})
	b := srvDial(t, srv, "/api", wsconn.DialOptions{})
	srvSend(t, a, `[2,"1","hello/eventadd",{"tag":"t","name":"ev9"}]`)
	srvRecvFrame(t, a)
	srvSend(t, a, `[2,"2","hello/eventsub",{"tag":"t"}]`)
	if f, _ := srvRecvFrame(t, a); f.Type != afbproto.FrameReplyOK {
		t.Fatalf("eventsub: %s", f.Append(nil))
	}
	// The event pushed by a verb comes before that verb's reply.
	srvSend(t, a, `[2,"3","hello/eventpush",{"tag":"t","data":{"x":[1,"a/b"]}}]`)
	if got := srvRecv(t, a); got != `[5,"hello/ev9",{"event":"hello/ev9","data":{"x":[1,"a/b"]},"jtype":"afb-event"}]` {
		t.Fatalf("event: %s", got)
	}
	// As hello3: success without a response member.
	if f, r := srvRecvFrame(t, a); f.Type != afbproto.FrameReplyOK || r.Response != nil {
		t.Fatalf("push reply: %s", f.Append(nil))
	}
	// data:null pushes the event without a data member.
	srvSend(t, a, `[2,"3n","hello/eventpush",{"tag":"t","data":null}]`)
	if got := srvRecv(t, a); got != `[5,"hello/ev9",{"event":"hello/ev9","jtype":"afb-event"}]` {
		t.Fatalf("event with data null: %s", got)
	}
	srvRecvFrame(t, a)
	// Pushed over HTTP, with data given as a JSON string.
	srvGet(t, srv.URL+"/api/hello/eventpush?tag=t&data=%7B%22n%22%3A2%7D")
	if got := srvRecv(t, a); got != `[5,"hello/ev9",{"event":"hello/ev9","data":{"n":2},"jtype":"afb-event"}]` {
		t.Fatalf("event from HTTP: %s", got)
	}
	// broadcast needs a tag or a name (hello3: "bad arguments").
	srvSend(t, b, `[2,"4a","hello/broadcast",{"data":7}]`)
	if f, r := srvRecvFrame(t, b); f.Type != afbproto.FrameReplyError || r.Status != "failed" || r.Info != "bad arguments" {
		t.Fatalf("broadcast without tag or name: %s", f.Append(nil))
	}
	// Broadcasts reach every connection: by name hello/<name>, by tag the
	// tagged event.
	srvSend(t, b, `[2,"4","hello/broadcast",{"name":"bcast","data":7}]`)
	for _, c := range []*wsconn.Conn{a, b} {
		if got := srvRecv(t, c); got != `[5,"hello/bcast",{"event":"hello/bcast","data":7,"jtype":"afb-event"}]` {
			t.Fatalf("broadcast: %s", got)
		}
	}
	srvRecvFrame(t, b)
	srvSend(t, b, `[2,"4t","hello/broadcast",{"tag":"t","data":"8"}]`)
	for _, c := range []*wsconn.Conn{a, b} {
		if got := srvRecv(t, c); got != `[5,"hello/ev9",{"event":"hello/ev9","data":8,"jtype":"afb-event"}]` {
			t.Fatalf("tagged broadcast: %s", got)
		}
	}
	srvRecvFrame(t, b)
	// After unsubscribe nothing more arrives: the next message is the
	// reply to a later ping, not an event.
	srvSend(t, a, `[2,"5","hello/eventunsub",{"tag":"t"}]`)
	srvRecvFrame(t, a)
	srvSend(t, b, `[2,"6","hello/eventpush",{"tag":"t","data":1}]`)
	if f, _ := srvRecvFrame(t, b); f.Type != afbproto.FrameReplyOK {
		t.Fatalf("push after unsubscribe: %s", f.Append(nil))
	}
	srvSend(t, a, `[2,"7","hello/ping",null]`)
	if f, _ := srvRecvFrame(t, a); string(f.ID) != "7" {
		t.Fatalf("got %s", f.Append(nil))
	}
	// Deleting a subscribed event is safe.
	srvSend(t, a, `[2,"8","hello/eventsub",{"tag":"t"}]`)
	srvRecvFrame(t, a)
	srvSend(t, b, `[2,"9","hello/eventdel",{"tag":"t"}]`)
	if f, _ := srvRecvFrame(t, b); f.Type != afbproto.FrameReplyOK {
		t.Fatalf("eventdel: %s", f.Append(nil))
	}
	srvSend(t, a, `[2,"10","hello/ping",null]`)
	if f, _ := srvRecvFrame(t, a); string(f.ID) != "10" {
		t.Fatalf("got %s", f.Append(nil))
	}
}

func TestServerWSShutdownCloses1001(t *testing.T) {
	b, srv := startServer(t, afbproto.Options{Token: afbproto.AnyToken()})
	c := srvDial(t, srv, "/api", wsconn.DialOptions{})
	srvSend(t, c, `[2,"1","hello/ping",null]`)
	srvRecvFrame(t, c)
	errc := make(chan error, 1)
	go func() { errc <- b.Shutdown(srvCtx(t)) }()
	srvExpectClose(t, c, 1001)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestServerWSConcurrentClients(t *testing.T) {
	_, srv := startServer(t, afbproto.Options{Token: afbproto.AnyToken()})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := wsconn.Dial(srvCtx(t), srvWSURL(srv, "/api"), wsconn.DialOptions{Protocols: []string{afbproto.Subprotocol}})
			if err != nil {
				t.Error(err)
				return
			}
			defer c.CloseNow()
			for j := range 20 {
				id := fmt.Sprintf("%d-%d", i, j)
				c.WriteText(srvCtx(t), afbproto.AppendCall(nil, id, "hello", "echo", json.RawMessage(`{"id":"`+id+`"}`), ""))
				_, msg, err := c.ReadMessage(srvCtx(t), nil)
				if err != nil || !strings.HasPrefix(string(msg), `[3,"`+id+`",{"response":{"id":"`+id+`"}`) {
					t.Errorf("%s: %s %v", id, msg, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestServerUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "afb.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Skip("no unix sockets:", err)
	}
	b, _ := afbproto.NewBinder(afbproto.Options{Token: afbproto.AnyToken()})
	b.AddAPI(afbproto.NewHelloAPI())
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- b.Serve(ctx, ln) }()
	dialUnix := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}
	hc := &http.Client{Transport: &http.Transport{DialContext: dialUnix}}
	res, err := hc.Get("http://afb/api/hello/ping")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"status":"success"`) || !strings.HasPrefix(res.Header.Get("Set-Cookie"), "x-afb-uuid-0=") {
		t.Fatalf("HTTP over unix: %s %v", body, res.Header)
	}
	c, err := wsconn.Dial(srvCtx(t), "ws://afb/api", wsconn.DialOptions{Protocols: []string{afbproto.Subprotocol}, NetDial: dialUnix})
	if err != nil {
		t.Fatal(err)
	}
	srvSend(t, c, `[2,"1","hello/ping",null]`)
	if f, _ := srvRecvFrame(t, c); f.Type != afbproto.FrameReplyOK {
		t.Fatalf("WS over unix: %s", f.Append(nil))
	}
	cancel()
	srvExpectClose(t, c, 1001)
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}
