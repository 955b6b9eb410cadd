package oauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/appwire/appwire/httpipc/oauth"
)

// The whole offline flow against the reference server. In an app, the
// browser step is the OS opening the authorization app, and the client
// for an offline Result has an httpipc transport bound to
// res.IPCService; everything else is the same.
func Example() {
	// The authorization app: an http.Handler, here on loopback.
	srv, err := oauth.NewServer(oauth.ServerConfig{
		ServiceName: "org.example.auth/.HttpIpcService",
		Clients: []oauth.ClientRegistration{{
			ID:           "maths",
			RedirectURIs: []string{"org.example.maths:/oauth2redirect"},
		}},
		AutoApprove: "alice",
	})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	// 1. The client app starts an authorization (PKCE S256 + state).
	a, err := oauth.NewAuthorization(oauth.Config{
		ClientID:              "maths",
		RedirectURI:           "org.example.maths:/oauth2redirect",
		AuthorizationEndpoint: ts.URL + "/authorize",
		TokenEndpoint:         ts.URL + "/token",
		Scopes:                []string{oauth.ScopeProfile},
		AllowedServices:       []string{"org.example.auth/.HttpIpcService"},
	})
	if err != nil {
		panic(err)
	}

	// 2. The user approves in the authorization app, which redirects.
	browser := ts.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := browser.Get(a.AuthURL())
	if err != nil {
		panic(err)
	}
	resp.Body.Close()

	// 3. The client app checks the redirect: state, allow-listed service.
	res, err := a.ParseRedirect(resp.Header.Get("Location"))
	if err != nil {
		panic(err)
	}
	fmt.Println("offline:", res.Offline(), "via", res.IPCService)

	// 4. Redeem the code with the verifier, over the chosen client.
	hc := ts.Client() // offline: &http.Client{Transport: an httpipc transport for res.IPCService}
	tok, err := a.Exchange(context.Background(), hc, res)
	if err != nil {
		panic(err)
	}

	// 5. Call the API with the Bearer token.
	req, _ := http.NewRequestWithContext(context.Background(), "GET", ts.URL+"/api/me", nil)
	tok.SetAuthHeader(req)
	resp, err = hc.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var me struct{ User, Scope string }
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil {
		panic(err)
	}
	fmt.Println("user:", me.User, "scope:", me.Scope)
	// Output:
	// offline: true via org.example.auth/.HttpIpcService
	// user: alice scope: profile
}
