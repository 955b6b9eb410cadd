package oauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/appwire/appwire/httpipc/oauth"
)

const (
	e2eService = "org.example.auth/.HttpIpcService"
	e2eRedir   = "org.example.maths:/oauth2redirect"
)

// flow is the client app's side of the whole flow. clientFor picks the
// *http.Client for a Result: the only thing that changes when the token
// request and API calls go over httpipc instead of the network.
func flow(ctx context.Context, t *testing.T, cfg oauth.Config, browse func(string) string, clientFor func(oauth.Result) *http.Client) (oauth.Result, map[string]string) {
	t.Helper()
	a, err := oauth.NewAuthorization(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.ParseRedirect(browse(a.AuthURL()))
	if err != nil {
		t.Fatal(err)
	}
	hc := clientFor(res)
	tok, err := a.Exchange(ctx, hc, res)
	if err != nil {
		t.Fatal(err)
	}
	apiBase := strings.TrimSuffix(cfg.TokenEndpoint, "/token")
	req, _ := http.NewRequestWithContext(ctx, "POST", apiBase+"/api/notes", strings.NewReader(`{"text":"fractions quiz: 9/10"}`))
	req.Header.Set("Content-Type", "application/json")
	tok.SetAuthHeader(req)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/notes: %s", resp.Status)
	}
	req, _ = http.NewRequestWithContext(ctx, "GET", apiBase+"/api/me", nil)
	tok.SetAuthHeader(req)
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var me map[string]string
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&me) != nil {
		t.Fatalf("GET /api/me: %s", resp.Status)
	}
	return res, me
}

// browser follows the authorization URL like the OS would and returns
// the redirect the client app receives.
func browser(t *testing.T, ts *httptest.Server) func(string) string {
	return func(authURL string) string {
		t.Helper()
		c := ts.Client()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := c.Get(authURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("authorize: %s", resp.Status)
		}
		return resp.Header.Get("Location")
	}
}

func startServer(t *testing.T, service string) (*httptest.Server, oauth.Config) {
	t.Helper()
	srv, err := oauth.NewServer(oauth.ServerConfig{
		ServiceName: service,
		Clients:     []oauth.ClientRegistration{{ID: "maths", RedirectURIs: []string{e2eRedir}}},
		AutoApprove: "alice",
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, oauth.Config{
		ClientID:              "maths",
		RedirectURI:           e2eRedir,
		AuthorizationEndpoint: ts.URL + "/authorize",
		TokenEndpoint:         ts.URL + "/token",
		Scopes:                []string{oauth.ScopeProfile, oauth.ScopeNotesWrite},
		AllowedServices:       []string{e2eService},
	}
}

func TestEndToEndOffline(t *testing.T) {
	ts, cfg := startServer(t, e2eService)
	var picked string
	res, me := flow(context.Background(), t, cfg, browser(t, ts), func(r oauth.Result) *http.Client {
		picked = r.IPCService
		// Until httpipc.Transport lands this is the loopback client; the
		// IPC test swaps in &http.Client{Transport: <httpipc transport
		// bound to r.IPCService>} and nothing else.
		return ts.Client()
	})
	if !res.Offline() || picked != e2eService {
		t.Errorf("result %+v: want offline via %s", res, e2eService)
	}
	if me["user"] != "alice" || me["client_id"] != "maths" || me["scope"] != "profile notes:write" {
		t.Errorf("/api/me = %v", me)
	}
}

func TestEndToEndOnline(t *testing.T) {
	ts, cfg := startServer(t, "")
	res, me := flow(context.Background(), t, cfg, browser(t, ts), func(oauth.Result) *http.Client { return ts.Client() })
	if res.Offline() {
		t.Errorf("online server gave an offline result %+v", res)
	}
	if me["user"] != "alice" {
		t.Errorf("/api/me = %v", me)
	}
}

// A rogue authorization app names its own service: the client refuses
// before sending the code or verifier anywhere.
func TestEndToEndRogueService(t *testing.T) {
	ts, cfg := startServer(t, "org.example.rogue/.HttpIpcService")
	a, err := oauth.NewAuthorization(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.ParseRedirect(browser(t, ts)(a.AuthURL()))
	if !errors.Is(err, oauth.ErrServiceNotAllowed) {
		t.Fatalf("err = %v, want ErrServiceNotAllowed", err)
	}
}

// An attacker who intercepts the redirect has the code and state but not
// the verifier; the code it redeems is burnt and the real client fails
// safe with invalid_grant.
func TestEndToEndInterceptedCode(t *testing.T) {
	ts, cfg := startServer(t, e2eService)
	victim, _ := oauth.NewAuthorization(cfg)
	res, err := victim.ParseRedirect(browser(t, ts)(victim.AuthURL()))
	if err != nil {
		t.Fatal(err)
	}
	attacker, _ := oauth.RestoreAuthorization(cfg, victim.State(), oauth.NewVerifier())
	_, err = attacker.Exchange(context.Background(), ts.Client(), res)
	var te *oauth.TokenError
	if !errors.As(err, &te) || te.Code != oauth.InvalidGrant {
		t.Fatalf("attacker: err = %v, want invalid_grant", err)
	}
	if _, err := victim.Exchange(context.Background(), ts.Client(), res); !errors.As(err, &te) || te.Code != oauth.InvalidGrant {
		t.Fatalf("victim after the attack: err = %v, want invalid_grant", err)
	}
}
