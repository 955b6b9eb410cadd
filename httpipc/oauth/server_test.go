package oauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a fake time source for expiry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

const (
	srvClient = "maths"
	srvRedir  = "org.example.maths:/oauth2redirect"
	srvIssuer = "https://auth.example.org"
)

func testServerConfig(c *clock) ServerConfig {
	return ServerConfig{
		Issuer:      srvIssuer,
		ServiceName: testService,
		Clients: []ClientRegistration{
			{ID: srvClient, RedirectURIs: []string{srvRedir, "http://127.0.0.1/cb"}},
			{ID: "other", RedirectURIs: []string{"org.example.other:/cb"}},
		},
		AutoApprove: "alice",
		Now:         c.Now,
	}
}

func newTestServer(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// authParamsFor is a valid authorization request for verifier v.
func authParamsFor(v string) url.Values {
	return url.Values{
		"response_type":         {"code"},
		"client_id":             {srvClient},
		"redirect_uri":          {srvRedir},
		"scope":                 {"profile notes:read notes:write"},
		"state":                 {"st4te"},
		"code_challenge":        {ChallengeS256(v)},
		"code_challenge_method": {"S256"},
	}
}

// authorizeReq runs GET /authorize?q and returns the recorder.
func authorizeReq(s *Server, q url.Values) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/authorize?"+q.Encode(), nil))
	return rec
}

// redirectParams checks rec is a 302 to want's scheme and path and returns its query.
func redirectParams(t *testing.T, rec *httptest.ResponseRecorder, want string) url.Values {
	t.Helper()
	if rec.Code != http.StatusFound {
		t.Fatalf("status %d, want 302; body %q", rec.Code, rec.Body.String())
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	w, _ := url.Parse(want)
	if loc.Scheme != w.Scheme || loc.Host != w.Host || loc.Path != w.Path {
		t.Fatalf("redirected to %s, want %s", loc, want)
	}
	return loc.Query()
}

// getCode authorizes with verifier v and returns the code.
func getCode(t *testing.T, s *Server, v string) string {
	t.Helper()
	q := redirectParams(t, authorizeReq(s, authParamsFor(v)), srvRedir)
	if q.Get("code") == "" {
		t.Fatalf("no code: %v", q)
	}
	return q.Get("code")
}

func tokenForm(code, v string) url.Values {
	return url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {srvRedir},
		"client_id":     {srvClient},
		"code_verifier": {v},
	}
}

// tokenReq POSTs form to /token and decodes the JSON answer.
func tokenReq(t *testing.T, s *Server, form url.Values) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("POST", "/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return doToken(t, s, req)
}

func doToken(t *testing.T, s *Server, req *http.Request) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("token answer %d is not JSON: %q", rec.Code, rec.Body.String())
	}
	return rec, body
}

func wantTokenError(t *testing.T, what string, rec *httptest.ResponseRecorder, body map[string]any, status int, code ErrorCode) {
	t.Helper()
	if rec.Code != status || body["error"] != string(code) {
		t.Errorf("%s: %d %v, want %d %s", what, rec.Code, body, status, code)
	}
}

func TestAuthorizeIssuesCodeWithServiceStateAndIss(t *testing.T) {
	s := newTestServer(t, testServerConfig(newClock()))
	v := NewVerifier()
	q := redirectParams(t, authorizeReq(s, authParamsFor(v)), srvRedir)
	if q.Get("state") != "st4te" || q.Get(ParamIPCService) != testService || q.Get("iss") != srvIssuer || len(q.Get("code")) < 43 {
		t.Errorf("redirect params %v", q)
	}
	// An online server sends no ipc-service.
	cfg := testServerConfig(newClock())
	cfg.ServiceName = ""
	q = redirectParams(t, authorizeReq(newTestServer(t, cfg), authParamsFor(v)), srvRedir)
	if q.Has(ParamIPCService) || q.Has(ParamIPCServer) {
		t.Errorf("online server sent %v", q)
	}
}

func TestAuthorizeRefusesWithoutRedirect(t *testing.T) {
	s := newTestServer(t, testServerConfig(newClock()))
	v := NewVerifier()
	for name, mutate := range map[string]func(url.Values){
		"unknown client":          func(q url.Values) { q.Set("client_id", "evil") },
		"no client":               func(q url.Values) { q.Del("client_id") },
		"unregistered redirect":   func(q url.Values) { q.Set("redirect_uri", "org.example.evil:/oauth2redirect") },
		"redirect with extra":     func(q url.Values) { q.Set("redirect_uri", srvRedir+"?x=1") },
		"redirect case":           func(q url.Values) { q.Set("redirect_uri", "org.example.maths:/OAuth2redirect") },
		"other client's redirect": func(q url.Values) { q.Set("redirect_uri", "org.example.other:/cb") },
		"no redirect":             func(q url.Values) { q.Del("redirect_uri") },
		"repeated redirect":       func(q url.Values) { q.Add("redirect_uri", "org.example.evil:/x") },
		"loopback localhost":      func(q url.Values) { q.Set("redirect_uri", "http://localhost:5000/cb") },
		"loopback other path":     func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:5000/cb2") },
	} {
		q := authParamsFor(v)
		mutate(q)
		rec := authorizeReq(s, q)
		if rec.Code != http.StatusBadRequest || rec.Header().Get("Location") != "" {
			t.Errorf("%s: %d Location=%q, want 400 without redirect", name, rec.Code, rec.Header().Get("Location"))
		}
	}
}

func TestAuthorizeLoopbackAnyPort(t *testing.T) {
	s := newTestServer(t, testServerConfig(newClock()))
	q := authParamsFor(NewVerifier())
	q.Set("redirect_uri", "http://127.0.0.1:51004/cb")
	if p := redirectParams(t, authorizeReq(s, q), "http://127.0.0.1:51004/cb"); p.Get("code") == "" {
		t.Errorf("no code: %v", p)
	}
}

func TestAuthorizeErrorRedirects(t *testing.T) {
	s := newTestServer(t, testServerConfig(newClock()))
	v := NewVerifier()
	for _, tc := range []struct {
		name   string
		mutate func(url.Values)
		want   ErrorCode
	}{
		{"plain refused", func(q url.Values) { q.Set("code_challenge_method", "plain"); q.Set("code_challenge", v) }, InvalidRequest},
		{"method missing means plain", func(q url.Values) { q.Del("code_challenge_method") }, InvalidRequest},
		{"method lower case", func(q url.Values) { q.Set("code_challenge_method", "s256") }, InvalidRequest},
		{"no challenge", func(q url.Values) { q.Del("code_challenge") }, InvalidRequest},
		{"malformed challenge", func(q url.Values) { q.Set("code_challenge", ChallengeS256(v)+"=") }, InvalidRequest},
		{"short challenge", func(q url.Values) { q.Set("code_challenge", "abc") }, InvalidRequest},
		{"no response_type", func(q url.Values) { q.Del("response_type") }, InvalidRequest},
		{"token response_type", func(q url.Values) { q.Set("response_type", "token") }, UnsupportedResponseType},
		{"repeated scope", func(q url.Values) { q.Add("scope", "profile") }, InvalidRequest},
		{"repeated challenge", func(q url.Values) { q.Add("code_challenge", ChallengeS256(v)) }, InvalidRequest},
		{"unknown scope", func(q url.Values) { q.Set("scope", "profile admin") }, InvalidScope},
		{"no scope", func(q url.Values) { q.Del("scope") }, InvalidScope},
		{"double space scope", func(q url.Values) { q.Set("scope", "profile  notes:read") }, InvalidScope},
	} {
		q := authParamsFor(v)
		tc.mutate(q)
		p := redirectParams(t, authorizeReq(s, q), srvRedir)
		if p.Get("error") != string(tc.want) || p.Get("state") != "st4te" || p.Get("iss") != srvIssuer || p.Has("code") || p.Has(ParamIPCService) {
			t.Errorf("%s: redirect %v, want error=%s with state and iss, no code", tc.name, p, tc.want)
		}
	}
}

func TestAuthorizeConsent(t *testing.T) {
	cfg := testServerConfig(newClock())
	cfg.AutoApprove = ""
	cfg.Users = []string{"bob"}
	s := newTestServer(t, cfg)
	v := NewVerifier()

	rec := authorizeReq(s, authParamsFor(v))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<form") || rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Fatalf("consent page: %d %q", rec.Code, rec.Body.String())
	}

	q := authParamsFor(v)
	q.Set("login", "bob")
	q.Set("approve", "no")
	if p := redirectParams(t, authorizeReq(s, q), srvRedir); p.Get("error") != string(AccessDenied) || p.Has("code") {
		t.Errorf("deny: %v", p)
	}
	q.Set("approve", "yes")
	q.Set("login", "mallory")
	if p := redirectParams(t, authorizeReq(s, q), srvRedir); p.Get("error") != string(AccessDenied) {
		t.Errorf("unknown user: %v", p)
	}
	// Approval posted from the consent form.
	q.Set("login", "bob")
	req := httptest.NewRequest("POST", "/authorize", strings.NewReader(q.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	code := redirectParams(t, rec, srvRedir).Get("code")
	_, body := tokenReq(t, s, tokenForm(code, v))
	if body["access_token"] == nil {
		t.Fatalf("token: %v", body)
	}
	if me := apiGet(t, s, "/api/me", body["access_token"].(string)); me.Code != 200 || !strings.Contains(me.Body.String(), `"user":"bob"`) {
		t.Errorf("/api/me: %d %s", me.Code, me.Body.String())
	}
}

func TestTokenSuccess(t *testing.T) {
	s := newTestServer(t, testServerConfig(newClock()))
	v := NewVerifier()
	rec, body := tokenReq(t, s, tokenForm(getCode(t, s, v), v))
	if rec.Code != 200 || body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) ||
		body["scope"] != "profile notes:read notes:write" || len(body["access_token"].(string)) < 43 {
		t.Errorf("%d %v", rec.Code, body)
	}
	if rec.Header().Get("Pragma") != "no-cache" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Errorf("headers %v", rec.Header())
	}
}

func TestTokenCodeReplayRevokes(t *testing.T) {
	s := newTestServer(t, testServerConfig(newClock()))
	v := NewVerifier()
	code := getCode(t, s, v)
	_, body := tokenReq(t, s, tokenForm(code, v))
	at, _ := body["access_token"].(string)
	if rec := apiGet(t, s, "/api/me", at); rec.Code != 200 {
		t.Fatalf("fresh token refused: %d", rec.Code)
	}
	rec, body := tokenReq(t, s, tokenForm(code, v))
	wantTokenError(t, "replay", rec, body, 400, InvalidGrant)
	// RFC 6749 §4.1.2: tokens issued for a replayed code are revoked.
	if rec := apiGet(t, s, "/api/me", at); rec.Code != 401 {
		t.Errorf("token of a replayed code still works: %d", rec.Code)
	}
}

func TestTokenRefusesMismatchedGrants(t *testing.T) {
	s := newTestServer(t, testServerConfig(newClock()))
	v := NewVerifier()
	for _, tc := range []struct {
		name   string
		mutate func(url.Values)
	}{
		{"wrong verifier", func(f url.Values) { f.Set("code_verifier", NewVerifier()) }},
		{"challenge as verifier", func(f url.Values) { f.Set("code_verifier", ChallengeS256(v)) }},
		{"redirect_uri mismatch", func(f url.Values) { f.Set("redirect_uri", "http://127.0.0.1:5000/cb") }},
		{"redirect_uri trailing slash", func(f url.Values) { f.Set("redirect_uri", srvRedir+"/") }},
		{"other client", func(f url.Values) { f.Set("client_id", "other") }},
		{"unknown code", func(f url.Values) { f.Set("code", NewVerifier()) }},
	} {
		code := getCode(t, s, v)
		f := tokenForm(code, v)
		tc.mutate(f)
		rec, body := tokenReq(t, s, f)
		wantTokenError(t, tc.name, rec, body, 400, InvalidGrant)
		// A mismatched presentation burns the code.
		rec, body = tokenReq(t, s, tokenForm(code, v))
		if tc.name != "unknown code" {
			wantTokenError(t, tc.name+" then the right one", rec, body, 400, InvalidGrant)
		}
	}
}

func TestTokenExpiredCode(t *testing.T) {
	c := newClock()
	s := newTestServer(t, testServerConfig(c))
	v := NewVerifier()
	code := getCode(t, s, v)
	c.Advance(DefaultCodeTTL - time.Second)
	code2 := getCode(t, s, v)
	c.Advance(time.Second)
	rec, body := tokenReq(t, s, tokenForm(code, v))
	wantTokenError(t, "expired code", rec, body, 400, InvalidGrant)
	if rec, _ := tokenReq(t, s, tokenForm(code2, v)); rec.Code != 200 {
		t.Errorf("code inside its lifetime refused: %d", rec.Code)
	}
}

func TestTokenRequestErrors(t *testing.T) {
	s := newTestServer(t, testServerConfig(newClock()))
	v := NewVerifier()
	code := getCode(t, s, v)
	for _, tc := range []struct {
		name   string
		mutate func(url.Values)
		status int
		want   ErrorCode
	}{
		{"no grant_type", func(f url.Values) { f.Del("grant_type") }, 400, InvalidRequest},
		{"password grant", func(f url.Values) { f.Set("grant_type", "password") }, 400, UnsupportedGrantType},
		{"no code", func(f url.Values) { f.Del("code") }, 400, InvalidRequest},
		{"no verifier", func(f url.Values) { f.Del("code_verifier") }, 400, InvalidRequest},
		{"short verifier", func(f url.Values) { f.Set("code_verifier", v[:42]) }, 400, InvalidRequest},
		{"no redirect_uri", func(f url.Values) { f.Del("redirect_uri") }, 400, InvalidRequest},
		{"no client_id", func(f url.Values) { f.Del("client_id") }, 400, InvalidRequest},
		{"repeated code", func(f url.Values) { f.Add("code", "x") }, 400, InvalidRequest},
		{"unknown client", func(f url.Values) { f.Set("client_id", "evil") }, 401, InvalidClient},
	} {
		f := tokenForm(code, v)
		tc.mutate(f)
		rec, body := tokenReq(t, s, f)
		wantTokenError(t, tc.name, rec, body, tc.status, tc.want)
	}
	// None of those consumed the code.
	if rec, body := tokenReq(t, s, tokenForm(code, v)); rec.Code != 200 {
		t.Errorf("code consumed by a malformed request: %d %v", rec.Code, body)
	}

	code = getCode(t, s, v)
	body := tokenForm(code, v).Encode()
	get := httptest.NewRequest("GET", "/token?"+body, nil)
	rec, js := doToken(t, s, get)
	wantTokenError(t, "GET", rec, js, 405, InvalidRequest)
	if rec.Header().Get("Allow") != "POST" {
		t.Errorf("405 without Allow: POST")
	}
	jsonReq := httptest.NewRequest("POST", "/token", strings.NewReader(`{"code":"x"}`))
	jsonReq.Header.Set("Content-Type", "application/json")
	rec, js = doToken(t, s, jsonReq)
	wantTokenError(t, "JSON body", rec, js, 400, InvalidRequest)
	queryReq := httptest.NewRequest("POST", "/token?"+body, nil)
	queryReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec, js = doToken(t, s, queryReq)
	wantTokenError(t, "parameters in the query", rec, js, 400, InvalidRequest)
	basic := httptest.NewRequest("POST", "/token", strings.NewReader(body))
	basic.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	basic.SetBasicAuth(srvClient, "secret")
	rec, js = doToken(t, s, basic)
	wantTokenError(t, "basic auth", rec, js, 401, InvalidClient)
	if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Basic ") {
		t.Errorf("401 without a Basic challenge: %q", rec.Header().Get("WWW-Authenticate"))
	}
	huge := httptest.NewRequest("POST", "/token", strings.NewReader(body+"&pad="+strings.Repeat("a", maxFormBytes)))
	huge.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec, js = doToken(t, s, huge)
	wantTokenError(t, "oversized form", rec, js, 400, InvalidRequest)
}

func TestLimits(t *testing.T) {
	c := newClock()
	cfg := testServerConfig(c)
	cfg.MaxCodes, cfg.MaxTokens = 2, 1
	s := newTestServer(t, cfg)
	v := NewVerifier()
	code1, code2 := getCode(t, s, v), getCode(t, s, v)
	p := redirectParams(t, authorizeReq(s, authParamsFor(v)), srvRedir)
	if p.Get("error") != string(TemporarilyUnavailable) || p.Get("state") != "st4te" {
		t.Errorf("code cap: %v", p)
	}
	if rec, _ := tokenReq(t, s, tokenForm(code1, v)); rec.Code != 200 {
		t.Fatalf("first token: %d", rec.Code)
	}
	rec, body := tokenReq(t, s, tokenForm(code2, v))
	wantTokenError(t, "token cap", rec, body, 503, TemporarilyUnavailable)
	// The sweep frees expired codes and tokens; code2 has expired too.
	c.Advance(DefaultTokenTTL)
	code3 := getCode(t, s, v)
	if rec, _ := tokenReq(t, s, tokenForm(code3, v)); rec.Code != 200 {
		t.Errorf("after expiry sweep: %d", rec.Code)
	}
	if n := len(s.store.codes) + len(s.store.tokens); n > 3 {
		t.Errorf("store holds %d entries after the sweep", n)
	}
}

func TestMetadata(t *testing.T) {
	s := newTestServer(t, testServerConfig(newClock()))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/oauth-authorization-server", nil))
	var md map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &md); err != nil {
		t.Fatal(err)
	}
	if md["issuer"] != srvIssuer || md["token_endpoint"] != srvIssuer+"/token" ||
		md["code_challenge_methods_supported"].([]any)[0] != "S256" || len(md["code_challenge_methods_supported"].([]any)) != 1 {
		t.Errorf("metadata %v", md)
	}
}

func TestNewServerRefusesBadConfig(t *testing.T) {
	for name, mutate := range map[string]func(*ServerConfig){
		"no user":            func(c *ServerConfig) { c.AutoApprove = "" },
		"client without id":  func(c *ServerConfig) { c.Clients = []ClientRegistration{{RedirectURIs: []string{srvRedir}}} },
		"client without uri": func(c *ServerConfig) { c.Clients = []ClientRegistration{{ID: "x"}} },
		"relative uri":       func(c *ServerConfig) { c.Clients = []ClientRegistration{{ID: "x", RedirectURIs: []string{"/cb"}}} },
		"duplicate client": func(c *ServerConfig) {
			c.Clients = append(c.Clients, ClientRegistration{ID: srvClient, RedirectURIs: []string{srvRedir}})
		},
		"negative ttl": func(c *ServerConfig) { c.CodeTTL = -1 },
		"bad scope":    func(c *ServerConfig) { c.Scopes = []string{`a"b`} },
	} {
		cfg := testServerConfig(newClock())
		mutate(&cfg)
		if _, err := NewServer(cfg); err == nil {
			t.Errorf("%s: NewServer accepted it", name)
		}
	}
}
