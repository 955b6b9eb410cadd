package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/appwire/appwire/httpipc"
	"github.com/appwire/appwire/httpipc/oauth"
)

// The demo authorization-and-API app served by "appwire ipc serve --demo"
// and "appwire serve". Its login is a stand-in that approves everything
// as demoUser: it authenticates nobody.
const (
	demoService  = "org.appwire.demo/.HttpIpcService"
	demoClientID = "demo"
	demoRedirect = "http://127.0.0.1/callback" // loopback: any port matches (RFC 8252 §7.3)
	demoUser     = "alice"
	// demoVerifier is the RFC 7636 Appendix B verifier, printed so that a
	// newcomer can paste the flow; a real client makes a fresh one.
	demoVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	demoChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	demoState     = "demo-state-0123456789"
)

func newDemoApp(issuer string) (*oauth.Server, error) {
	return oauth.NewServer(oauth.ServerConfig{
		Issuer:      issuer,
		ServiceName: demoService,
		Clients:     []oauth.ClientRegistration{{ID: demoClientID, RedirectURIs: []string{demoRedirect}}},
		AutoApprove: demoUser,
	})
}

// demoToken runs the offline flow against the demo app over rt (an
// httpipc transport) and returns the access token, so "appwire serve" can
// print an API call that works as pasted.
func demoToken(ctx context.Context, rt http.RoundTripper) (string, error) {
	base := "http://" + httpipc.DefaultHost
	a, err := oauth.NewAuthorization(oauth.Config{
		ClientID:              demoClientID,
		RedirectURI:           demoRedirect,
		AuthorizationEndpoint: base + "/authorize",
		TokenEndpoint:         base + "/token",
		Scopes:                []string{oauth.ScopeProfile, oauth.ScopeNotesRead, oauth.ScopeNotesWrite},
		AllowedServices:       []string{demoService},
	})
	if err != nil {
		return "", err
	}
	hc := &http.Client{
		Transport:     rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, "GET", a.AuthURL(), nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return "", errors.New("demo flow: /authorize answered " + resp.Status)
	}
	res, err := a.ParseRedirect(resp.Header.Get("Location"))
	if err != nil {
		return "", err
	}
	tok, err := a.Exchange(ctx, hc, res)
	if err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}
