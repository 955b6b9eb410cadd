package oauth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fakeTokenEndpoint answers every request with h and records the form.
func fakeTokenEndpoint(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) (*Authorization, *httptest.Server) {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(h))
	t.Cleanup(ts.Close)
	cfg := testConfig()
	cfg.TokenEndpoint = ts.URL + "/token"
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	return newTestAuth(t, cfg), ts
}

func reply(status int, ctype, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func TestExchangeSendsPKCEAndParsesToken(t *testing.T) {
	var got http.Request
	var form map[string][]string
	a, ts := fakeTokenEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		got = *r
		r.ParseForm()
		form = r.PostForm
		reply(200, "application/json;charset=UTF-8", `{"access_token":"AT","token_type":"bearer","expires_in":3600,"scope":"profile"}`)(w, r)
	})
	tok, err := a.Exchange(context.Background(), ts.Client(), Result{Code: "c1", State: a.State()})
	if err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/token" || got.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("request: %s %s %q", got.Method, got.URL.Path, got.Header.Get("Content-Type"))
	}
	want := map[string]string{
		"grant_type":    "authorization_code",
		"code":          "c1",
		"redirect_uri":  testRedir,
		"client_id":     "maths",
		"code_verifier": a.Verifier(),
	}
	for k, v := range want {
		if len(form[k]) != 1 || form[k][0] != v {
			t.Errorf("form %s = %q, want %q", k, form[k], v)
		}
	}
	if got.URL.RawQuery != "" {
		t.Errorf("secrets in the URL query: %q", got.URL.RawQuery)
	}
	wantExp := time.Date(2026, 1, 2, 4, 4, 5, 0, time.UTC)
	if tok.AccessToken != "AT" || tok.TokenType != "Bearer" || !tok.Expiry.Equal(wantExp) || strings.Join(tok.Scopes, " ") != "profile" {
		t.Errorf("token = %+v", *tok)
	}
	if strings.Contains(tok.String(), "AT ") || strings.Contains(tok.String(), "\"AT\"") {
		t.Errorf("String leaks the token: %s", tok)
	}
	if !tok.Expired(wantExp) || tok.Expired(wantExp.Add(-time.Second)) {
		t.Error("Expired is wrong at the boundary")
	}
	req, _ := http.NewRequest("GET", "http://x/api/me", nil)
	tok.SetAuthHeader(req)
	if req.Header.Get("Authorization") != "Bearer AT" {
		t.Errorf("SetAuthHeader: %q", req.Header.Get("Authorization"))
	}
}

func TestExchangeScopeDefaultsToRequested(t *testing.T) {
	a, ts := fakeTokenEndpoint(t, reply(200, "application/json", `{"access_token":"AT","token_type":"Bearer"}`))
	tok, err := a.Exchange(context.Background(), ts.Client(), Result{Code: "c1", State: a.State()})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tok.Scopes, " ") != "profile notes:read" || !tok.Expiry.IsZero() {
		t.Errorf("token = %+v", *tok)
	}
}

func TestExchangeTokenError(t *testing.T) {
	a, ts := fakeTokenEndpoint(t, reply(400, "application/json", `{"error":"invalid_grant","error_description":"code already used"}`))
	_, err := a.Exchange(context.Background(), ts.Client(), Result{Code: "c1", State: a.State()})
	var te *TokenError
	if !errors.As(err, &te) || te.Code != InvalidGrant || te.Description != "code already used" || te.StatusCode != 400 {
		t.Fatalf("err = %v, want *TokenError invalid_grant", err)
	}
}

func TestExchangeRefusesBadResponses(t *testing.T) {
	big := `{"access_token":"` + strings.Repeat("a", DefaultMaxResponseBytes) + `","token_type":"Bearer"}`
	for _, tc := range []struct {
		name string
		h    func(http.ResponseWriter, *http.Request)
		want error
	}{
		{"500 text", reply(500, "text/plain", "boom"), ErrBadTokenResponse},
		{"400 json without error", reply(400, "application/json", `{}`), ErrBadTokenResponse},
		{"400 error as text/html", reply(400, "text/html", `{"error":"invalid_grant"}`), ErrBadTokenResponse},
		{"200 not json", reply(200, "text/plain", `access_token=AT`), ErrBadTokenResponse},
		{"200 bad json", reply(200, "application/json", `{`), ErrBadTokenResponse},
		{"200 no access_token", reply(200, "application/json", `{"token_type":"Bearer"}`), ErrBadTokenResponse},
		{"200 mac token", reply(200, "application/json", `{"access_token":"AT","token_type":"mac"}`), ErrBadTokenResponse},
		{"200 negative expires_in", reply(200, "application/json", `{"access_token":"AT","token_type":"Bearer","expires_in":-1}`), ErrBadTokenResponse},
		{"200 string expires_in", reply(200, "application/json", `{"access_token":"AT","token_type":"Bearer","expires_in":"60"}`), ErrBadTokenResponse},
		{"too large", reply(200, "application/json", big), ErrResponseTooLarge},
		{"redirect not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://evil.example/steal", http.StatusTemporaryRedirect)
		}, ErrBadTokenResponse},
	} {
		a, ts := fakeTokenEndpoint(t, tc.h)
		_, err := a.Exchange(context.Background(), ts.Client(), Result{Code: "c1", State: a.State()})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestExchangeChecksResultAndContext(t *testing.T) {
	called := false
	a, ts := fakeTokenEndpoint(t, func(w http.ResponseWriter, r *http.Request) { called = true })
	if _, err := a.Exchange(context.Background(), ts.Client(), Result{Code: "c1", State: "other"}); !errors.Is(err, ErrStateMismatch) {
		t.Errorf("foreign result: err = %v", err)
	}
	if _, err := a.Exchange(context.Background(), ts.Client(), Result{State: a.State()}); !errors.Is(err, ErrMalformedRedirect) {
		t.Errorf("no code: err = %v", err)
	}
	if _, err := a.Exchange(context.Background(), nil, Result{Code: "c1", State: a.State()}); err == nil {
		t.Error("nil client accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Exchange(ctx, ts.Client(), Result{Code: "c1", State: a.State()}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: err = %v", err)
	}
	if called {
		t.Error("the token endpoint was called for a refused exchange")
	}
}
