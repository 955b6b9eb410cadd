package loopapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Verifier checks a BrowserID / Firefox Accounts assertion (the
// "Authorization: BrowserID <assertion>" of POST /registration) and
// returns the verified identity: an e-mail address or a phone number.
type Verifier interface {
	Verify(ctx context.Context, assertion, audience string) (identity string, err error)
	// Ping reports whether the verifier is reachable (GET /__heartbeat__).
	Ping(ctx context.Context) error
}

// ErrBadAssertion is the error a Verifier returns for an assertion it
// refuses; the server answers 401 errno 110.
var ErrBadAssertion = errors.New("loopapi: invalid BrowserID assertion")

// LocalVerifier is the default Verifier, for tests and local demos: it
// accepts the assertion "local:<identity>" and nothing else. Never use
// it where strangers can reach the server: anyone can claim any identity.
type LocalVerifier struct{}

// LocalAssertion is the assertion LocalVerifier accepts for identity.
func LocalAssertion(identity string) string { return "local:" + identity }

// Verify implements Verifier.
func (LocalVerifier) Verify(_ context.Context, assertion, _ string) (string, error) {
	id, ok := strings.CutPrefix(assertion, "local:")
	if !ok || id == "" || len(id) > 256 || strings.ContainsAny(id, " \t\r\n") {
		return "", ErrBadAssertion
	}
	return id, nil
}

// Ping implements Verifier.
func (LocalVerifier) Ping(context.Context) error { return nil }

// RemoteVerifier checks assertions at a BrowserID verifier service, as
// upstream does (POST {"assertion","audience"} to URL; the answer
// {"status":"okay","email":...} or {"status":"okay","idpClaims":{"verifiedMSISDN":...}}).
type RemoteVerifier struct {
	URL    string       // e.g. https://verifier.accounts.firefox.com/v2
	Client *http.Client // nil: http.DefaultClient
}

// Verify implements Verifier.
func (v RemoteVerifier) Verify(ctx context.Context, assertion, audience string) (string, error) {
	body, _ := json.Marshal(map[string]string{"assertion": assertion, "audience": audience})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.URL, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	hc := v.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Status    string `json:"status"`
		Email     string `json:"email"`
		IdpClaims struct {
			Email          string `json:"fxa-verifiedEmail"`
			VerifiedMSISDN string `json:"verifiedMSISDN"`
		} `json:"idpClaims"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&out); err != nil {
		return "", fmt.Errorf("loopapi: verifier answer: %w", err)
	}
	if out.Status != "okay" {
		return "", ErrBadAssertion
	}
	for _, id := range []string{out.IdpClaims.Email, out.IdpClaims.VerifiedMSISDN, out.Email} {
		if id != "" {
			return id, nil
		}
	}
	return "", ErrBadAssertion
}

// Ping implements Verifier: GET <URL without its path>/status answers 200.
func (v RemoteVerifier) Ping(ctx context.Context) error {
	return getStatus(ctx, v.Client, v.URL)
}

// getStatus GETs <scheme://host>/status of u and wants a 200.
func getStatus(ctx context.Context, hc *http.Client, u string) error {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return fmt.Errorf("loopapi: bad URL %q", u)
	}
	host, _, _ := strings.Cut(rest, "/")
	if scheme == "ws" {
		scheme = "http"
	} else if scheme == "wss" {
		scheme = "https"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+host+"/status", nil)
	if err != nil {
		return err
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("loopapi: %s/status answered %d", host, resp.StatusCode)
	}
	return nil
}

// ProviderSession is what a media provider (TokBox) hands out for a call:
// one session and a token per party.
type ProviderSession struct {
	APIKey      string
	SessionID   string
	CallerToken string
	CalleeToken string
}

// Provider creates media sessions and tokens (upstream: TokBox).
type Provider interface {
	// NewSession creates a session for a call; channel selects the
	// credentials (upstream's per-channel TokBox keys).
	NewSession(ctx context.Context, channel string) (ProviderSession, error)
	// NewToken returns another token for an existing session (rooms).
	NewToken(ctx context.Context, sessionID string) (string, error)
	// Ping reports whether the provider works (GET /__heartbeat__).
	Ping(ctx context.Context) error
}

// FakeProvider is the default Provider: random session IDs and tokens,
// as upstream's fakeTokBox. When URL is set, NewSession first GETs it, as
// fakeTokBoxURL does, and fails when that fails.
type FakeProvider struct {
	APIKey string       // default "falseApiKey"
	URL    string       // optional
	Client *http.Client // for URL; nil: http.DefaultClient
}

// NewSession implements Provider.
func (f FakeProvider) NewSession(ctx context.Context, _ string) (ProviderSession, error) {
	if f.URL != "" {
		if err := f.Ping(ctx); err != nil {
			return ProviderSession{}, err
		}
	}
	key := f.APIKey
	if key == "" {
		key = "falseApiKey"
	}
	return ProviderSession{APIKey: key, SessionID: "1_" + randHex(24),
		CallerToken: "T1==" + randHex(32), CalleeToken: "T1==" + randHex(32)}, nil
}

// NewToken implements Provider.
func (f FakeProvider) NewToken(context.Context, string) (string, error) {
	return "T1==" + randHex(32), nil
}

// Ping implements Provider.
func (f FakeProvider) Ping(ctx context.Context) error {
	if f.URL == "" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL, nil)
	if err != nil {
		return err
	}
	hc := f.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fmt.Errorf("loopapi: fake provider URL answered %d", resp.StatusCode)
	}
	return nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
