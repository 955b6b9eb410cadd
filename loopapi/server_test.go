package loopapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/loopapi"
	"github.com/appwire/appwire/loopapi/hawk"
	"github.com/appwire/appwire/loopapi/loopapitest"
)

// raw is a request sent without the Client, to check exact answers.
type raw struct {
	method, path, body string
	header             map[string]string
	token              string // sign with this session token
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) errBody(t *testing.T) *loopapi.Error {
	t.Helper()
	e := &loopapi.Error{}
	if err := json.Unmarshal(a.body, e); err != nil {
		t.Fatalf("error body %q: %v", a.body, err)
	}
	return e
}

func do(t *testing.T, base string, r raw) answer {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(testserver.Ctx(t), r.method, base+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if r.token != "" {
		creds, err := hawk.DeriveSessionCredentials(r.token)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hawk.Sign(req, creds, hawk.RequestOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

// wantErr checks an error answer's status, errno and "error" text.
func wantErr(t *testing.T, a answer, status int, errno loopapi.Errno, text string) *loopapi.Error {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d (body %s)", a.status, status, a.body)
	}
	e := a.errBody(t)
	if e.Code != status || e.Errno != errno || (text != "" && e.Text != text) {
		t.Fatalf("error body %s, want code %d errno %d error %q", a.body, status, errno, text)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	return e
}

// session registers an anonymous session and returns its token.
func session(t *testing.T, base string, urls map[string]string) (*loopapi.Client, string) {
	t.Helper()
	c, err := loopapi.NewClient(base, loopapi.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Register(testserver.Ctx(t), urls); err != nil {
		t.Fatal(err)
	}
	return c, c.SessionToken()
}

// sink is a push endpoint that records the PUTs it gets.
type sink struct {
	mu   sync.Mutex
	puts []string
	got  chan string
	URL  string
}

func newSink(t *testing.T) *sink {
	s := &sink{got: make(chan string, 64)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		line := r.Method + " " + r.Header.Get("Content-Type") + " " + string(b)
		s.mu.Lock()
		s.puts = append(s.puts, line)
		s.mu.Unlock()
		s.got <- line
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/push/1"
	return s
}

func (s *sink) wait(t *testing.T) string {
	t.Helper()
	select {
	case l := <-s.got:
		return l
	case <-time.After(5 * time.Second):
		t.Fatal("no PUT reached the push sink")
	}
	return ""
}

func TestRoutingAndHeaders(t *testing.T) {
	srv := loopapitest.Start(t, loopapi.Options{AllowedOrigins: []string{"http://app.example"}})
	a := do(t, srv.URL, raw{method: "GET", path: "/nothing?x=1"})
	if a.status != http.StatusTemporaryRedirect || a.header.Get("Location") != "/v0/nothing?x=1" {
		t.Fatalf("unknown route: %d Location %q", a.status, a.header.Get("Location"))
	}
	wantErr(t, do(t, srv.URL, raw{method: "GET", path: "/v0/nothing"}), 404, loopapi.ErrnoUndefined, "Resource not found.")
	for _, p := range []string{"/", "/v0/", "/v0"} {
		a = do(t, srv.URL, raw{method: "GET", path: p, header: map[string]string{"Accept-Language": "fr-FR,fr;q=0.8", "Origin": "http://app.example"}})
		var info loopapi.RootInfo
		if a.status != 200 || json.Unmarshal(a.body, &info) != nil || info.I18n.Lang != "fr-FR" || info.Version == "" || info.Endpoint != srv.URL {
			t.Fatalf("GET %s: %d %s", p, a.status, a.body)
		}
		if a.header.Get("Timestamp") == "" || a.header.Get("X-Powered-By") != "" {
			t.Fatalf("GET %s headers %v", p, a.header)
		}
		if a.header.Get("Access-Control-Allow-Origin") != "http://app.example" {
			t.Fatalf("allowed origin not echoed: %v", a.header)
		}
	}
	a = do(t, srv.URL, raw{method: "GET", path: "/", header: map[string]string{"Origin": "http://evil.example"}})
	if a.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("a foreign origin was allowed")
	}
	a = do(t, srv.URL, raw{method: "OPTIONS", path: "/registration", header: map[string]string{"Origin": "http://app.example", "Access-Control-Request-Headers": "authorization"}})
	if a.status != 204 || a.header.Get("Access-Control-Allow-Headers") != "authorization" {
		t.Fatalf("preflight %d %v", a.status, a.header)
	}
	a = do(t, srv.URL, raw{method: "GET", path: "/__lbheartbeat__"})
	if a.status != 200 || string(a.body) != "{}" {
		t.Fatalf("lbheartbeat %d %s", a.status, a.body)
	}
	a = do(t, srv.URL, raw{method: "GET", path: "/__heartbeat__"})
	if a.status != 200 || !strings.Contains(string(a.body), `"storage":true`) {
		t.Fatalf("heartbeat %d %s", a.status, a.body)
	}
	// 404 errors carry no Timestamp; 401s do.
	if do(t, srv.URL, raw{method: "GET", path: "/v0/x"}).header.Get("Timestamp") != "" {
		t.Fatal("Timestamp on a 404")
	}
	if do(t, srv.URL, raw{method: "GET", path: "/call-url"}).header.Get("Timestamp") == "" {
		t.Fatal("no Timestamp on a 401")
	}
}

// failing is a Store whose every call fails: the server must answer 503
// errno 201 with Retry-After.
type failing struct{ loopapi.Store }

func (failing) Ping(context.Context) error { return errors.New("down") }
func (failing) CreateSession(context.Context, string, string, time.Duration) error {
	return errors.New("down")
}

func TestBackendDown(t *testing.T) {
	srv := loopapitest.Start(t, loopapi.Options{Store: failing{loopapi.NewMemoryStore(loopapi.MemoryStoreOptions{})}, RetryAfter: 7})
	a := do(t, srv.URL, raw{method: "POST", path: "/registration"})
	wantErr(t, a, 503, loopapi.ErrnoBackend, "Service Unavailable")
	if a.header.Get("Retry-After") != "7" {
		t.Fatalf("Retry-After %q", a.header.Get("Retry-After"))
	}
	a = do(t, srv.URL, raw{method: "GET", path: "/__heartbeat__"})
	if a.status != 503 || !strings.Contains(string(a.body), `"storage":false`) || a.header.Get("Retry-After") != "7" {
		t.Fatalf("heartbeat with storage down: %d %s", a.status, a.body)
	}
}

func TestHawkFailures(t *testing.T) {
	srv := loopapitest.Start(t, loopapi.Options{})
	a := do(t, srv.URL, raw{method: "GET", path: "/call-url"})
	e := wantErr(t, a, 401, loopapi.ErrnoInvalidAuthToken, "")
	if a.header.Get("WWW-Authenticate") != "Hawk" || !strings.Contains(string(e.Auth), `"statusCode":401`) {
		t.Fatalf("missing header: %v %s", a.header, a.body)
	}
	_, tok := session(t, srv.URL, nil)
	a = do(t, srv.URL, raw{method: "GET", path: "/call-url", token: tok})
	if a.status != 200 || a.header.Get("Server-Authorization") == "" || string(a.body) != "[]" {
		t.Fatalf("signed GET /call-url: %d %v %s", a.status, a.header, a.body)
	}
	// A token the server never issued: unknown credentials.
	other, _, _ := hawk.NewSessionToken()
	e = wantErr(t, do(t, srv.URL, raw{method: "GET", path: "/call-url", token: other}), 401, loopapi.ErrnoInvalidAuthToken, "")
	if e.AuthMessage() != "Unknown credentials" {
		t.Fatalf("unknown id: %s", e.Auth)
	}
	// A tampered MAC.
	creds, _ := hawk.DeriveSessionCredentials(tok)
	req, _ := http.NewRequest("GET", srv.URL+"/call-url", nil)
	_, _ = hawk.Sign(req, creds, hawk.RequestOptions{})
	authz := req.Header.Get("Authorization")
	i := strings.Index(authz, `mac="`) + 5
	bad := authz[:i] + "A" + authz[i+1:]
	if bad == authz {
		bad = authz[:i] + "B" + authz[i+1:]
	}
	a = do(t, srv.URL, raw{method: "GET", path: "/call-url", header: map[string]string{"Authorization": bad}})
	if e = wantErr(t, a, 401, loopapi.ErrnoInvalidAuthToken, ""); e.AuthMessage() != "Bad mac" {
		t.Fatalf("bad mac: %s", a.body)
	}
	// The same header twice: a replay.
	a = do(t, srv.URL, raw{method: "GET", path: "/call-url", header: map[string]string{"Authorization": authz}})
	if a.status != 200 {
		t.Fatalf("first use: %d %s", a.status, a.body)
	}
	a = do(t, srv.URL, raw{method: "GET", path: "/call-url", header: map[string]string{"Authorization": authz}})
	if e = wantErr(t, a, 401, loopapi.ErrnoInvalidAuthToken, ""); e.AuthMessage() != "Invalid nonce" {
		t.Fatalf("replay: %s", a.body)
	}
	// A stale timestamp: the challenge lets the client correct its clock.
	req, _ = http.NewRequest("GET", srv.URL+"/call-url", nil)
	_, _ = hawk.Sign(req, creds, hawk.RequestOptions{Time: time.Now().Add(-5 * time.Minute)})
	a = do(t, srv.URL, raw{method: "GET", path: "/call-url", header: map[string]string{"Authorization": req.Header.Get("Authorization")}})
	if e = wantErr(t, a, 401, loopapi.ErrnoInvalidAuthToken, ""); e.AuthMessage() != "Stale timestamp" || !strings.Contains(a.header.Get("WWW-Authenticate"), "tsm=") {
		t.Fatalf("stale: %v %s", a.header, a.body)
	}
	// Another scheme on POST /registration.
	a = do(t, srv.URL, raw{method: "POST", path: "/registration", header: map[string]string{"Authorization": "Bearer x"}})
	wantErr(t, a, 401, loopapi.ErrnoInvalidAuthToken, "Unsupported")
	if a.header.Get("WWW-Authenticate") != `BrowserID,Hawk error="Unsupported"` {
		t.Fatalf("WWW-Authenticate %q", a.header.Get("WWW-Authenticate"))
	}
}

func TestClientCorrectsClock(t *testing.T) {
	skewed := func() time.Time { return time.Now().Add(10 * time.Minute) }
	srv := loopapitest.Start(t, loopapi.Options{Now: skewed})
	c, _ := session(t, srv.URL, nil) // the registration itself is unsigned
	if _, err := c.CallURLs(testserver.Ctx(t)); err != nil {
		t.Fatalf("a client 10 minutes behind did not recover: %v", err)
	}
}

func TestRegistration(t *testing.T) {
	srv := loopapitest.Start(t, loopapi.Options{})
	a := do(t, srv.URL, raw{method: "POST", path: "/registration"})
	if a.status != 200 || len(a.body) != 0 || a.header.Get("Content-Length") != "0" || len(a.header.Get("Hawk-Session-Token")) != 64 {
		t.Fatalf("empty registration: %d %v %q", a.status, a.header, a.body)
	}
	if !strings.Contains(a.header.Get("Access-Control-Expose-Headers"), "Hawk-Session-Token") {
		t.Fatal("Hawk-Session-Token not exposed")
	}
	tok := a.header.Get("Hawk-Session-Token")
	for _, tc := range []struct{ body, msg string }{
		{`{"simplePushURL":"ftp://x"}`, "simplePushURLs.calls should be a valid url"},
		{`{"simple_push_url":"nope"}`, "simplePushURLs.calls should be a valid url"},
		{`{"simplePushURLs":{"rooms":"x"}}`, "simplePushURLs.rooms should be a valid url"},
	} {
		wantErr(t, do(t, srv.URL, raw{method: "POST", path: "/registration", body: tc.body, token: tok}), 400, loopapi.ErrnoInvalidParameters, tc.msg)
	}
	wantErr(t, do(t, srv.URL, raw{method: "POST", path: "/registration", body: `{"simplePushURL":"http://a"}`, token: tok,
		header: map[string]string{"Accept": "text/html"}}), 406, loopapi.ErrnoBadJSON, "")
	a = do(t, srv.URL, raw{method: "POST", path: "/registration", body: `{"simplePushURL":"http://a"}`, token: tok})
	if a.status != 200 || a.header.Get("Hawk-Session-Token") != "" {
		t.Fatalf("registration with Hawk: %d %v", a.status, a.header)
	}
	a = do(t, srv.URL, raw{method: "DELETE", path: "/registration", token: tok})
	if a.status != 204 {
		t.Fatalf("DELETE /registration %d", a.status)
	}
	big := `{"simplePushURL":"http://` + strings.Repeat("a", 70<<10) + `"}`
	wantErr(t, do(t, srv.URL, raw{method: "POST", path: "/registration", body: big, token: tok}), 413, loopapi.ErrnoRequestTooLarge, "")
	wantErr(t, do(t, srv.URL, raw{method: "POST", path: "/registration", body: `{"a":`, token: tok}), 400, loopapi.ErrnoBadJSON, "")
}

func TestCallURLs(t *testing.T) {
	srv := loopapitest.Start(t, loopapi.Options{})
	ctx := testserver.Ctx(t)
	bob, tok := session(t, srv.URL, nil)
	post := func(body string) answer {
		return do(t, srv.URL, raw{method: "POST", path: "/call-url", body: body, token: tok})
	}
	wantErr(t, post(`{}`), 400, loopapi.ErrnoMissingParameters, "Missing: callerId")
	wantErr(t, post(`{"callerId":"a","expiresIn":"soon"}`), 400, loopapi.ErrnoInvalidParameters, "expiresIn should be a valid number")
	wantErr(t, post(`{"callerId":"a","expiresIn":721}`), 400, loopapi.ErrnoInvalidParameters, "expiresIn should be less than 720")
	a := post(`{"callerId":"alice","expiresIn":"2","subject":"hi"}`)
	var made loopapi.CallURLCreated
	if a.status != 200 || json.Unmarshal(a.body, &made) != nil || made.CallURL != "http://localhost:3000/c/"+made.CallToken || made.CallURLV0 != made.CallURL {
		t.Fatalf("POST /call-url: %d %s", a.status, a.body)
	}
	if d := made.ExpiresAt - time.Now().Unix(); d < 7190 || d > 7210 {
		t.Fatalf("expiresAt %d s away, want 2 h", d)
	}
	list, err := bob.CallURLs(ctx)
	if err != nil || len(list) != 1 || list[0].CallerID != "alice" || list[0].Subject != "hi" || list[0].Issuer != "" {
		t.Fatalf("GET /call-url %+v %v", list, err)
	}
	if strings.Contains(string(do(t, srv.URL, raw{method: "GET", path: "/call-url", token: tok}).body), "userMac") {
		t.Fatal("userMac leaked")
	}
	info := do(t, srv.URL, raw{method: "GET", path: "/calls/" + made.CallToken})
	if info.status != 200 || strings.Contains(string(info.body), "calleeFriendlyName") {
		t.Fatalf("anonymous issuer: %s", info.body)
	}
	// Someone else cannot touch it.
	_, tok2 := session(t, srv.URL, nil)
	wantErr(t, do(t, srv.URL, raw{method: "PUT", path: "/call-url/" + made.CallToken, body: `{}`, token: tok2}), 404, loopapi.ErrnoInvalidToken, "")
	wantErr(t, do(t, srv.URL, raw{method: "DELETE", path: "/call-url/" + made.CallToken, token: tok2}), 403, loopapi.ErrnoInvalidAuthToken, "Forbidden")
	// PUT rebuilds the record: subject left out is cleared.
	exp, err := bob.UpdateCallURL(ctx, made.CallToken, loopapi.CallURLRequest{CallerID: "carol", Issuer: "Bob", ExpiresIn: 1})
	if err != nil || exp.ExpiresAt-time.Now().Unix() > 3610 {
		t.Fatalf("PUT: %+v %v", exp, err)
	}
	list, _ = bob.CallURLs(ctx)
	if len(list) != 1 || list[0].CallerID != "carol" || list[0].Subject != "" || list[0].Issuer != "Bob" {
		t.Fatalf("after PUT %+v", list)
	}
	if err := bob.DeleteCallURL(ctx, made.CallToken); err != nil {
		t.Fatal(err)
	}
	wantErr(t, do(t, srv.URL, raw{method: "DELETE", path: "/call-url/" + made.CallToken, token: tok}), 404, loopapi.ErrnoInvalidToken, "Token not found.")
	wantErr(t, do(t, srv.URL, raw{method: "GET", path: "/calls/" + made.CallToken}), 404, loopapi.ErrnoInvalidToken, "")
	// A call URL that expired at once.
	a = post(`{"callerId":"x","expiresIn":0}`)
	_ = json.Unmarshal(a.body, &made)
	wantErr(t, do(t, srv.URL, raw{method: "GET", path: "/calls/" + made.CallToken}), 404, loopapi.ErrnoInvalidToken, "")
}

func TestHeadProfile(t *testing.T) {
	srv := loopapitest.Start(t, loopapi.Options{Profile: loopapi.ProfileHead})
	_, tok := session(t, srv.URL, nil)
	wantErr(t, do(t, srv.URL, raw{method: "POST", path: "/call-url", body: `{"callerId":"a"}`, token: tok}), 405, loopapi.ErrnoNoLongerSupported, "No longer supported")
	if a := do(t, srv.URL, raw{method: "GET", path: "/call-url", token: tok}); a.status != 200 {
		t.Fatalf("GET /call-url in head: %d", a.status)
	}
}

func TestCalls(t *testing.T) {
	sk := newSink(t)
	srv := loopapitest.Start(t, loopapi.Options{})
	ctx := testserver.Ctx(t)
	bob, tok := session(t, srv.URL, nil)
	link, err := bob.CreateCallURL(ctx, loopapi.CallURLRequest{CallerID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/calls/" + link.CallToken
	// No push URL yet: the callee cannot be reached.
	wantErr(t, do(t, srv.URL, raw{method: "POST", path: path, body: `{"callType":"audio"}`}), 410, loopapi.ErrnoExpired, "Gone")
	if err := bob.Register(ctx, map[string]string{loopapi.TopicCalls: sk.URL}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, do(t, srv.URL, raw{method: "POST", path: path, body: `{}`}), 400, loopapi.ErrnoMissingParameters, "Missing: callType")
	wantErr(t, do(t, srv.URL, raw{method: "POST", path: path, body: `{"callType":"video"}`}), 400, loopapi.ErrnoInvalidParameters, "callType should be 'audio' or 'audio-video'")
	wantErr(t, do(t, srv.URL, raw{method: "POST", path: "/calls/AAAAAAAAAAA", body: `{"callType":"audio"}`}), 404, loopapi.ErrnoInvalidToken, "")
	wantErr(t, do(t, srv.URL, raw{method: "POST", path: path, body: `{"callType":"audio","subject":"` + strings.Repeat("s", 125) + `"}`}), 400, loopapi.ErrnoInvalidParameters, "")
	a := do(t, srv.URL, raw{method: "POST", path: path, body: `{"callType":"audio","subject":"lunch"}`})
	var placed loopapi.CallCreated
	if a.status != 200 || json.Unmarshal(a.body, &placed) != nil || len(placed.CallID) != 32 || len(placed.WebsocketToken) != 32 ||
		placed.ProgressURL != "ws"+strings.TrimPrefix(srv.URL, "http")+"/websocket" || placed.SessionToken == "" {
		t.Fatalf("POST %s: %d %s", path, a.status, a.body)
	}
	put := sk.wait(t)
	if !strings.HasPrefix(put, "PUT application/x-www-form-urlencoded version=") {
		t.Fatalf("wake-up PUT %q", put)
	}
	wantErr(t, do(t, srv.URL, raw{method: "GET", path: "/calls", token: tok}), 400, loopapi.ErrnoMissingParameters, "Missing: version")
	calls, err := bob.Calls(ctx, 0)
	if err != nil || len(calls) != 1 {
		t.Fatalf("calls %+v %v", calls, err)
	}
	c := calls[0]
	if c.CallID != placed.CallID || c.CallerID != "alice" || c.Subject != "lunch" || c.WebsocketToken == placed.WebsocketToken ||
		c.CallURL != link.CallURL || c.URLCreationDate == 0 || c.SessionToken == placed.SessionToken {
		t.Fatalf("listed call %+v", c)
	}
	// A terminated call is not listed.
	ws, err := loopapi.DialCall(ctx, c.ProgressURL, c.CallID, c.WebsocketToken)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.Terminate(ctx, "busy"); err != nil {
		t.Fatal(err)
	}
	if err := ws.Await(ctx, loopapi.StateTerminated); err != nil {
		t.Fatal(err)
	}
	if calls, _ = bob.Calls(ctx, 0); len(calls) != 0 {
		t.Fatalf("terminated call listed: %+v", calls)
	}
}

func TestRegisteredUsers(t *testing.T) {
	sk := newSink(t)
	srv := loopapitest.Start(t, loopapi.Options{})
	ctx := testserver.Ctx(t)
	bob, err := loopapi.NewClient(srv.URL, loopapi.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.RegisterBrowserID(ctx, loopapi.LocalAssertion("Bob@Example.com"), map[string]string{"calls": sk.URL}); err != nil {
		t.Fatal(err)
	}
	alice, err := loopapi.NewClient(srv.URL, loopapi.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.RegisterBrowserID(ctx, loopapi.LocalAssertion("alice@example.com"), nil); err != nil {
		t.Fatal(err)
	}
	a := do(t, srv.URL, raw{method: "POST", path: "/registration", header: map[string]string{"Authorization": "BrowserID forged"}})
	wantErr(t, a, 401, loopapi.ErrnoInvalidAuthToken, "")
	// An FxA user's call URL is issued in its name.
	link, err := bob.CreateCallURL(ctx, loopapi.CallURLRequest{CallerID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	info, _ := bob.CallURLInfo(ctx, link.CallToken)
	if info.CalleeFriendlyName != "Bob@Example.com" {
		t.Fatalf("issuer %q", info.CalleeFriendlyName)
	}
	// Direct calls: by identity (case-insensitive), anonymous sessions refused.
	placed, err := alice.DirectCall(ctx, loopapi.DirectCallRequest{CalleeID: []string{"bob@example.com", "nobody@example.com"}, CallType: "audio"})
	if err != nil {
		t.Fatal(err)
	}
	sk.wait(t)
	calls, err := bob.Calls(ctx, 0)
	if err != nil || len(calls) != 1 || calls[0].CallID != placed.CallID || calls[0].CallerID != "alice@example.com" {
		t.Fatalf("direct call listed %+v %v", calls, err)
	}
	_, err = alice.DirectCall(ctx, loopapi.DirectCallRequest{CalleeID: "nobody@example.com", CallType: "audio"})
	if !errors.Is(err, loopapi.ErrnoUserUnavailable) {
		t.Fatalf("no callee: %v", err)
	}
	_, anonTok := session(t, srv.URL, nil)
	wantErr(t, do(t, srv.URL, raw{method: "POST", path: "/calls", body: `{"calleeId":"bob@example.com","callType":"audio"}`, token: anonTok}),
		403, loopapi.ErrnoInvalidAuthToken, "You should be a registered user to perform this action.")
	wantErr(t, do(t, srv.URL, raw{method: "DELETE", path: "/session", token: anonTok}), 403, loopapi.ErrnoInvalidAuthToken, "")
	// A registered caller of a call URL is named by its identity.
	placed, err = alice.Call(ctx, link.CallToken, loopapi.CallRequest{CallType: "audio"})
	if err != nil {
		t.Fatal(err)
	}
	calls, _ = bob.Calls(ctx, 0)
	if len(calls) != 2 || calls[1].CallerID != "alice@example.com" {
		t.Fatalf("calls %+v", calls)
	}
	if err := alice.DeleteSession(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.CallURLs(ctx); !errors.Is(err, loopapi.ErrnoInvalidAuthToken) {
		t.Fatalf("deleted session still works: %v", err)
	}
	if err := bob.DeleteAccount(ctx); err != nil {
		t.Fatal(err)
	}
	wantErr(t, do(t, srv.URL, raw{method: "GET", path: "/calls/" + link.CallToken}), 404, loopapi.ErrnoInvalidToken, "")
}

func TestPushServerConfig(t *testing.T) {
	srv := loopapitest.Start(t, loopapi.Options{PushServerURIs: []string{"wss://push.example/"}})
	a := do(t, srv.URL, raw{method: "GET", path: "/push-server-config"})
	if a.status != 200 || string(a.body) != `{"pushServerURI":"wss://push.example/"}` {
		t.Fatalf("%d %s", a.status, a.body)
	}
}

func TestErrorBody(t *testing.T) {
	e := &loopapi.Error{Code: 400, Errno: loopapi.ErrnoRoomFull, Text: "The room is full.", Info: json.RawMessage(`{"a":1}`)}
	b, _ := json.Marshal(e)
	if string(b) != `{"code":400,"errno":202,"error":"The room is full.","info":{"a":1}}` {
		t.Fatalf("%s", b)
	}
	var back loopapi.Error
	if err := json.Unmarshal([]byte(`{"code":401,"errno":110,"error":{"statusCode":401,"error":"Unauthorized","message":"Bad mac"}}`), &back); err != nil {
		t.Fatal(err)
	}
	if back.AuthMessage() != "Bad mac" || !errors.Is(&back, loopapi.ErrnoInvalidAuthToken) || loopapi.ErrnoInvalidAuthToken.String() != "INVALID_AUTH_TOKEN" {
		t.Fatalf("%+v", back)
	}
	if !bytes.Equal(mustJSON(loopapi.NewError(404, 999, "")), []byte(`{"code":404,"errno":999}`)) {
		t.Fatal("empty error text not omitted")
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func TestHeartbeatPush(t *testing.T) {
	down := errors.New("down")
	var mu sync.Mutex
	state := error(nil)
	check := func(context.Context, string) error { mu.Lock(); defer mu.Unlock(); return state }
	srv := loopapitest.Start(t, loopapi.Options{PushServerURIs: []string{"ws://push.invalid/"}, PushCheck: check})
	if a := do(t, srv.URL, raw{method: "GET", path: "/__heartbeat__"}); a.status != 200 || !strings.Contains(string(a.body), `"push":true`) {
		t.Fatalf("push up: %d %s", a.status, a.body)
	}
	mu.Lock()
	state = down
	mu.Unlock()
	if a := do(t, srv.URL, raw{method: "GET", path: "/__heartbeat__"}); a.status != 503 || !strings.Contains(string(a.body), `"push":false`) {
		t.Fatalf("push down: %d %s", a.status, a.body)
	}
}

// TestSessionTTL: a session used within its TTL lives on (each request
// refreshes it); one left alone expires and its token stops working.
func TestSessionTTL(t *testing.T) {
	srv := loopapitest.Start(t, loopapi.Options{SessionTTL: 2 * time.Second})
	ctx := testserver.Ctx(t)
	used, _ := session(t, srv.URL, nil)
	idle, _ := session(t, srv.URL, nil)
	for range 16 { // 3.2 s in all: well past the TTL, each gap well within it
		time.Sleep(200 * time.Millisecond)
		if _, err := used.CallURLs(ctx); err != nil {
			t.Fatalf("a session in use expired: %v", err)
		}
	}
	if _, err := idle.CallURLs(ctx); !errors.Is(err, loopapi.ErrnoInvalidAuthToken) {
		t.Fatalf("an idle session outlived its TTL: %v", err)
	}
}

// TestBehindProxy: with HawkHost/HawkPort the MAC is checked against the
// public name the client signed for, whatever Host the proxy sends; a
// client may also use the /v0 mount.
func TestBehindProxy(t *testing.T) {
	srv := loopapitest.Start(t, loopapi.Options{HawkHost: "loop.example", HawkPort: 443})
	ctx := testserver.Ctx(t)
	// The "proxy": plain HTTP to the server, signing for https://loop.example:443.
	_, tok := session(t, srv.URL+"/v0", nil)
	creds, _ := hawk.DeriveSessionCredentials(tok)
	req, _ := http.NewRequestWithContext(ctx, "GET", "https://loop.example/v0/call-url", nil)
	if _, err := hawk.Sign(req, creds, hawk.RequestOptions{}); err != nil {
		t.Fatal(err)
	}
	a := do(t, srv.URL, raw{method: "GET", path: "/v0/call-url", header: map[string]string{"Authorization": req.Header.Get("Authorization")}})
	if a.status != 200 {
		t.Fatalf("signed for the public name: %d %s", a.status, a.body)
	}
	a = do(t, srv.URL, raw{method: "GET", path: "/v0/call-url", token: tok}) // signed for the local Host
	if e := wantErr(t, a, 401, loopapi.ErrnoInvalidAuthToken, ""); e.AuthMessage() != "Bad mac" {
		t.Fatalf("signed for the wrong host: %s", a.body)
	}
}

// pushURLRecorder records the push URLs the server stores.
type pushURLRecorder struct {
	loopapi.Store
	mu     sync.Mutex
	topics map[string]bool
}

func (r *pushURLRecorder) SetPushURLs(ctx context.Context, user, id string, urls map[string]string, ttl time.Duration) error {
	r.mu.Lock()
	for t := range urls {
		r.topics[t] = true
	}
	r.mu.Unlock()
	return r.Store.SetPushURLs(ctx, user, id, urls, ttl)
}

// A session registering URLs under ever new topic names must not grow
// its record without bound: only the topics the server wakes (calls,
// rooms) are kept; others are validated and dropped.
func TestRegistrationKeepsOnlyKnownTopics(t *testing.T) {
	rec := &pushURLRecorder{Store: loopapi.NewMemoryStore(loopapi.MemoryStoreOptions{}), topics: map[string]bool{}}
	srv := loopapitest.Start(t, loopapi.Options{Store: rec})
	_, tok := session(t, srv.URL, nil)
	for i := range 20 {
		urls := map[string]string{}
		for j := range 50 {
			urls[fmt.Sprintf("t%d-%d", i, j)] = "http://127.0.0.1:1/x"
		}
		if i == 0 {
			urls[loopapi.TopicCalls] = "http://127.0.0.1:1/calls"
			urls[loopapi.TopicRooms] = "http://127.0.0.1:1/rooms"
		}
		a := do(t, srv.URL, raw{method: "POST", path: "/registration", body: string(mustJSON(map[string]any{"simplePushURLs": urls})), token: tok})
		if a.status != 200 {
			t.Fatalf("registration %d: %d %s", i, a.status, a.body)
		}
	}
	wantErr(t, do(t, srv.URL, raw{method: "POST", path: "/registration", body: `{"simplePushURLs":{"other":"ftp://x"}}`, token: tok}),
		400, loopapi.ErrnoInvalidParameters, "simplePushURLs.other should be a valid url")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.topics) != 2 || !rec.topics[loopapi.TopicCalls] || !rec.topics[loopapi.TopicRooms] {
		t.Fatalf("%d topics stored (calls %v, rooms %v), want only calls and rooms", len(rec.topics), rec.topics[loopapi.TopicCalls], rec.topics[loopapi.TopicRooms])
	}
}
