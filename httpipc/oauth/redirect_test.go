package oauth

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

const (
	testService = "org.example.auth/.HttpIpcService"
	testRedir   = "org.example.maths:/oauth2redirect"
)

func testConfig() Config {
	return Config{
		ClientID:              "maths",
		RedirectURI:           testRedir,
		AuthorizationEndpoint: "https://auth.example.org/authorize",
		TokenEndpoint:         "https://auth.example.org/token",
		Scopes:                []string{"profile", "notes:read"},
		AllowedServices:       []string{testService},
	}
}

func newTestAuth(t *testing.T, cfg Config) *Authorization {
	t.Helper()
	a, err := NewAuthorization(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAuthURL(t *testing.T) {
	cfg := testConfig()
	cfg.AuthorizationEndpoint = "https://auth.example.org/authorize?tenant=x"
	a := newTestAuth(t, cfg)
	u, err := url.Parse(a.AuthURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	want := map[string]string{
		"tenant":                "x",
		"response_type":         "code",
		"client_id":             "maths",
		"redirect_uri":          testRedir,
		"scope":                 "profile notes:read",
		"state":                 a.State(),
		"code_challenge":        ChallengeS256(a.Verifier()),
		"code_challenge_method": "S256",
	}
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if len(q) != len(want) {
		t.Errorf("AuthURL has %d parameters, want %d: %v", len(q), len(want), q)
	}
	if strings.Contains(u.RawQuery, a.Verifier()) {
		t.Error("AuthURL leaks the verifier")
	}
	b := newTestAuth(t, cfg)
	if a.State() == b.State() || a.Verifier() == b.Verifier() {
		t.Error("two authorizations share a state or verifier")
	}
	if len(a.State()) < 43 {
		t.Errorf("state %q has under 256 bits", a.State())
	}
}

func TestNewAuthorizationRefusesBadConfig(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"no client id":          func(c *Config) { c.ClientID = "" },
		"relative redirect":     func(c *Config) { c.RedirectURI = "/cb" },
		"redirect fragment":     func(c *Config) { c.RedirectURI = "https://app.example/cb#x" },
		"no token endpoint":     func(c *Config) { c.TokenEndpoint = "" },
		"no auth endpoint":      func(c *Config) { c.AuthorizationEndpoint = "" },
		"scope with space":      func(c *Config) { c.Scopes = []string{"a b"} },
		"empty allowed service": func(c *Config) { c.AllowedServices = []string{""} },
		"service with space":    func(c *Config) { c.AllowedServices = []string{testService + " "} },
		"negative max response": func(c *Config) { c.MaxResponseBytes = -1 },
	} {
		cfg := testConfig()
		mutate(&cfg)
		if _, err := NewAuthorization(cfg); err == nil {
			t.Errorf("%s: NewAuthorization accepted it", name)
		}
	}
}

func TestRestoreAuthorization(t *testing.T) {
	a := newTestAuth(t, testConfig())
	b, err := RestoreAuthorization(testConfig(), a.State(), a.Verifier())
	if err != nil {
		t.Fatal(err)
	}
	if b.AuthURL() != a.AuthURL() {
		t.Error("restored authorization builds a different URL")
	}
	if _, err := RestoreAuthorization(testConfig(), a.State(), "short"); err == nil {
		t.Error("accepted an invalid verifier")
	}
	if _, err := RestoreAuthorization(testConfig(), "short", a.Verifier()); err == nil {
		t.Error("accepted a short state")
	}
}

// redirectTo builds a redirect to testRedir with raw query parts.
func redirectTo(parts ...string) string { return testRedir + "?" + strings.Join(parts, "&") }

func TestParseRedirectAccepts(t *testing.T) {
	a := newTestAuth(t, testConfig())
	st := "state=" + a.State()
	svc := url.QueryEscape(testService)
	for _, tc := range []struct {
		name, url, service string
	}{
		{"online", redirectTo("code=c1", st), ""},
		{"offline", redirectTo("code=c1", st, "ipc-service="+svc), testService},
		{"draft alias ipc-server", redirectTo("code=c1", st, "ipc-server="+svc), testService},
		{"unrelated extra parameter", redirectTo("code=c1", st, "foo=bar"), ""},
		{"fragment ignored", redirectTo("code=c1", st) + "#ipc-service=evil", ""},
	} {
		res, err := a.ParseRedirect(tc.url)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if res.Code != "c1" || res.State != a.State() || res.IPCService != tc.service || res.Offline() != (tc.service != "") {
			t.Errorf("%s: got %+v", tc.name, res)
		}
	}
}

func TestParseRedirectAllowList(t *testing.T) {
	a := newTestAuth(t, testConfig())
	st := "state=" + a.State()
	for _, svc := range []string{
		"",                                   // present but empty is not "online"
		"org.example.evil/.HttpIpcService",   // another app
		"ORG.EXAMPLE.AUTH/.HttpIpcService",   // case
		"org.example.auth/.httpipcservice",   // case
		" " + testService,                    // leading space
		testService + " ",                    // trailing space
		testService + "\n",                   // trailing newline
		testService + "\x00",                 // NUL
		testService + "\t",                   // tab
		"org.example.auth/.HttpIpcServic",    // prefix
		testService + "2",                    // suffix
		"org.exаmple.auth/.HttpIpcService",   // Cyrillic а
		"org.example.auth/./HttpIpcService",  // path trick
		"org.example.auth%2F.HttpIpcService", // double-encoded slash
	} {
		for _, param := range []string{"ipc-service", "ipc-server"} {
			_, err := a.ParseRedirect(redirectTo("code=c1", st, param+"="+url.QueryEscape(svc)))
			var re *RedirectError
			if !errors.Is(err, ErrServiceNotAllowed) || !errors.As(err, &re) || re.Param != param || re.Value != svc {
				t.Errorf("%s=%q: err = %v, want ErrServiceNotAllowed naming it", param, svc, err)
			}
		}
	}
	// A client with no allow-list accepts only online authorizations.
	cfg := testConfig()
	cfg.AllowedServices = nil
	b := newTestAuth(t, cfg)
	if _, err := b.ParseRedirect(redirectTo("code=c1", "state="+b.State(), "ipc-service="+url.QueryEscape(testService))); !errors.Is(err, ErrServiceNotAllowed) {
		t.Errorf("empty allow-list: err = %v, want ErrServiceNotAllowed", err)
	}
}

func TestParseRedirectRefuses(t *testing.T) {
	a := newTestAuth(t, testConfig())
	st := "state=" + a.State()
	svc := url.QueryEscape(testService)
	other := newTestAuth(t, testConfig())
	for _, tc := range []struct {
		name string
		url  string
		want error
	}{
		{"missing state", redirectTo("code=c1"), ErrStateMismatch},
		{"empty state", redirectTo("code=c1", "state="), ErrStateMismatch},
		{"other flow's state", redirectTo("code=c1", "state="+other.State()), ErrStateMismatch},
		{"state prefix", redirectTo("code=c1", "state="+a.State()[:20]), ErrStateMismatch},
		{"error with wrong state", redirectTo("error=access_denied", "state=x"), ErrStateMismatch},
		{"repeated state", redirectTo("code=c1", st, st), ErrMalformedRedirect},
		{"repeated code", redirectTo("code=c1", "code=c2", st), ErrMalformedRedirect},
		{"repeated ipc-service", redirectTo("code=c1", st, "ipc-service="+svc, "ipc-service=evil"), ErrMalformedRedirect},
		{"both spellings", redirectTo("code=c1", st, "ipc-service="+svc, "ipc-server="+svc), ErrMalformedRedirect},
		{"both spellings, one evil", redirectTo("code=c1", st, "ipc-service="+svc, "ipc-server=evil"), ErrMalformedRedirect},
		{"missing code", redirectTo(st), ErrMalformedRedirect},
		{"empty code", redirectTo("code=", st), ErrMalformedRedirect},
		{"bad escape", redirectTo("code=%zz", st), ErrMalformedRedirect},
		{"other scheme", "org.example.evil:/oauth2redirect?code=c1&" + st, ErrRedirectMismatch},
		{"other path", "org.example.maths:/other?code=c1&" + st, ErrRedirectMismatch},
		{"https", "https://evil.example/oauth2redirect?code=c1&" + st, ErrRedirectMismatch},
		{"unparseable", "%", ErrMalformedRedirect},
	} {
		_, err := a.ParseRedirect(tc.url)
		var re *RedirectError
		if !errors.Is(err, tc.want) || !errors.As(err, &re) {
			t.Errorf("%s: err = %v, want %v as *RedirectError", tc.name, err, tc.want)
		}
	}
}

func TestParseRedirectErrorResponse(t *testing.T) {
	a := newTestAuth(t, testConfig())
	_, err := a.ParseRedirect(redirectTo("error=access_denied", "error_description=no+thanks", "error_uri=https%3A%2F%2Fx", "state="+a.State()))
	var ae *AuthorizationError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *AuthorizationError", err)
	}
	if ae.Code != AccessDenied || ae.Description != "no thanks" || ae.URI != "https://x" {
		t.Errorf("got %+v", ae)
	}
	// An error wins over a code in the same redirect.
	_, err = a.ParseRedirect(redirectTo("code=c1", "error=server_error", "state="+a.State()))
	if !errors.As(err, &ae) || ae.Code != ServerError {
		t.Errorf("code+error: err = %v", err)
	}
	// Peer text cannot forge log lines.
	_, err = a.ParseRedirect(redirectTo("error=x%0Aforged", "state="+a.State()))
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("error text not quoted: %q", err)
	}
}

func TestParseRedirectIssuer(t *testing.T) {
	cfg := testConfig()
	cfg.Issuer = "https://auth.example.org"
	a := newTestAuth(t, cfg)
	st := "state=" + a.State()
	if res, err := a.ParseRedirect(redirectTo("code=c1", st, "iss="+url.QueryEscape(cfg.Issuer))); err != nil || res.Issuer != cfg.Issuer {
		t.Fatalf("matching iss: %+v, %v", res, err)
	}
	for _, u := range []string{
		redirectTo("code=c1", st),
		redirectTo("code=c1", st, "iss=https%3A%2F%2Fevil.example"),
		redirectTo("code=c1", st, "iss=https%3A%2F%2Fauth.example.org%2F"),
		redirectTo("error=access_denied", st, "iss=https%3A%2F%2Fevil.example"),
	} {
		if _, err := a.ParseRedirect(u); !errors.Is(err, ErrIssuerMismatch) {
			t.Errorf("%s: err = %v, want ErrIssuerMismatch", u, err)
		}
	}
}
