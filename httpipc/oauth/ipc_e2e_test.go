package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/httpipc"
	"github.com/appwire/appwire/httpipc/oauth"
)

// envAuthApp makes the test binary, started by an httpipc.Registry, run
// as the authorization-and-API app instead of running tests: a separate
// process serving over httpipc on the socket the Registry names.
const envAuthApp = "OAUTH_TEST_AUTH_APP"

func TestMain(m *testing.M) {
	if service := os.Getenv(envAuthApp); service != "" {
		os.Exit(authApp(service))
	}
	os.Exit(m.Run())
}

func authApp(service string) int {
	if p := os.Getenv("OAUTH_TEST_STARTED"); p != "" {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return 4
		}
		fmt.Fprintln(f, os.Getpid())
		f.Close()
	}
	srv, err := oauth.NewServer(oauth.ServerConfig{
		ServiceName: service,
		Clients:     []oauth.ClientRegistration{{ID: "maths", RedirectURIs: []string{e2eRedir}}},
		AutoApprove: "alice",
	})
	if err != nil {
		return 5
	}
	ctx := context.Background()
	ln, err := httpipc.ListenUnix(ctx, os.Getenv(httpipc.EnvSocket))
	if err != nil {
		return 6
	}
	// Only this user's processes get an answer (httpipc spec §3.7); the
	// app leaves by itself a while after its last client.
	ln = httpipc.CheckPeers(ln, httpipc.SameUser(), nil)
	if err := httpipc.ServeIdle(ctx, &httpipc.Server{Handler: srv}, ln, time.Minute); err != nil {
		return 7
	}
	return 0
}

// ipcApps registers the authorization app's service, and a rogue app's,
// both started on demand by re-executing this test binary.
func ipcApps(t *testing.T) (reg *httpipc.Registry, started func(name string) int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "oauthipc") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	reg = &httpipc.Registry{}
	logs := map[string]string{}
	for i, name := range []string{e2eService, "org.example.rogue/.HttpIpcService"} {
		logs[name] = filepath.Join(dir, fmt.Sprint("started", i))
		if err := reg.Add(httpipc.Service{
			Name:    name,
			Socket:  filepath.Join(dir, fmt.Sprint("app", i, ".sock")),
			Command: []string{exe},
			Env:     []string{envAuthApp + "=" + name, "OAUTH_TEST_STARTED=" + logs[name]},
		}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { reg.Close() }) // kills the apps still running
	return reg, func(name string) int {
		b, _ := os.ReadFile(logs[name])
		return strings.Count(string(b), "\n")
	}
}

// The offline flow across two processes: the authorization app runs as
// its own process, started on demand, and every request of the flow goes
// over httpipc on a unix socket. Nothing listens on the network.
func TestEndToEndOfflineOverIPC(t *testing.T) {
	reg, started := ipcApps(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := oauth.Config{
		ClientID:    "maths",
		RedirectURI: e2eRedir,
		// The online URLs: over IPC they name the resource, the
		// transport decides where the request goes.
		AuthorizationEndpoint: "https://auth.example/authorize",
		TokenEndpoint:         "https://auth.example/token",
		Scopes:                []string{oauth.ScopeProfile, oauth.ScopeNotesWrite},
		AllowedServices:       []string{e2eService},
	}
	if n := started(e2eService); n != 0 {
		t.Fatalf("app running before the flow (%d starts)", n)
	}

	// The OS opens the authorization app: the first dial of its service
	// starts it, and /authorize is answered over IPC.
	launch, err := reg.Transport(e2eService)
	if err != nil {
		t.Fatal(err)
	}
	defer launch.Close()
	browse := func(authURL string) string {
		t.Helper()
		u, _ := url.Parse(authURL)
		if q := u.Query(); q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("state") == "" {
			t.Fatalf("authorization request without PKCE S256 and state: %s", authURL)
		}
		hc := &http.Client{Transport: launch, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, _ := http.NewRequestWithContext(ctx, "GET", authURL, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("authorize over IPC: %s", resp.Status)
		}
		return resp.Header.Get("Location")
	}

	var api *httpipc.Transport
	res, me := flow(ctx, t, cfg, browse, func(r oauth.Result) *http.Client {
		// ParseRedirect has checked r.IPCService against the allow-list;
		// the Registry resolves it to the app's socket (and would start
		// the app if it had gone).
		if !r.Offline() || r.IPCService != e2eService {
			t.Fatalf("result %+v: want offline via %s", r, e2eService)
		}
		var err error
		if api, err = reg.Transport(r.IPCService); err != nil {
			t.Fatal(err)
		}
		return &http.Client{Transport: api}
	})
	defer api.Close()
	if res.Code == "" || me["user"] != "alice" || me["client_id"] != "maths" || me["scope"] != "profile notes:write" {
		t.Errorf("result %+v, /api/me = %v", res, me)
	}
	if n := started(e2eService); n != 1 {
		t.Errorf("authorization app started %d times, want 1", n)
	}
}

// A redirect naming a rogue service is refused before anything is sent
// anywhere, and the rogue app is never started; a name that is not
// registered cannot be dialed at all.
func TestEndToEndRogueServiceOverIPC(t *testing.T) {
	reg, started := ipcApps(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := oauth.NewAuthorization(oauth.Config{
		ClientID:              "maths",
		RedirectURI:           e2eRedir,
		AuthorizationEndpoint: "https://auth.example/authorize",
		TokenEndpoint:         "https://auth.example/token",
		Scopes:                []string{oauth.ScopeProfile},
		AllowedServices:       []string{e2eService},
	})
	if err != nil {
		t.Fatal(err)
	}
	launch, err := reg.Transport(e2eService)
	if err != nil {
		t.Fatal(err)
	}
	defer launch.Close()
	hc := &http.Client{Transport: launch, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, "GET", a.AuthURL(), nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// An app that intercepted the redirect swaps in its own service.
	loc, _ := url.Parse(resp.Header.Get("Location"))
	q := loc.Query()
	q.Set(oauth.ParamIPCService, "org.example.rogue/.HttpIpcService")
	loc.RawQuery = q.Encode()
	if _, err := a.ParseRedirect(loc.String()); !errors.Is(err, oauth.ErrServiceNotAllowed) {
		t.Fatalf("rogue redirect: %v, want ErrServiceNotAllowed", err)
	}
	if n := started("org.example.rogue/.HttpIpcService"); n != 0 {
		t.Errorf("rogue app started %d times", n)
	}
	if _, err := reg.Transport("org.example.unregistered/.Svc"); !errors.Is(err, httpipc.ErrUnknownService) {
		t.Errorf("unregistered service: %v, want ErrUnknownService", err)
	}
}
