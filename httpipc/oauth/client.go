package oauth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxResponseBytes bounds a token endpoint response body when
// Config.MaxResponseBytes is zero.
const DefaultMaxResponseBytes = 64 << 10

// Config describes the client app: who it is, where the authorization
// server is, and which IPC services it will bind after an offline
// authorization.
type Config struct {
	// ClientID is the client_id registered with the authorization server.
	ClientID string
	// RedirectURI is the registered redirect URI: a claimed https URI, a
	// private-use scheme such as "com.example.app:/oauth2redirect" or a
	// loopback URI (RFC 8252 §7).
	RedirectURI string
	// AuthorizationEndpoint and TokenEndpoint are absolute URLs. Over
	// IPC the token request still names TokenEndpoint; the IPC transport
	// carries it to the service instead of the network.
	AuthorizationEndpoint string
	TokenEndpoint         string
	// Scopes are requested as the space-separated scope parameter.
	Scopes []string
	// AllowedServices is the ipc-service allow-list: the exact names of
	// the services of the authorization server's app (an Android
	// component or iOS XPC service name). A redirect naming any other
	// service, even one differing only in case or whitespace, is refused
	// with ErrServiceNotAllowed. Empty means no offline authorization is
	// accepted at all.
	AllowedServices []string
	// Issuer, when set, must equal the redirect's iss parameter (RFC
	// 9207); a redirect without iss is then refused too.
	Issuer string
	// MaxResponseBytes bounds the token response body;
	// 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Now is the clock for Token.Expiry; nil means time.Now.
	Now func() time.Time
}

// Authorization is one authorization attempt: a fresh PKCE verifier and
// state. Use it for exactly one AuthURL → ParseRedirect → Exchange.
// It is safe for concurrent use.
type Authorization struct {
	cfg      Config
	verifier string
	state    string
}

// NewAuthorization checks cfg and starts an authorization with a random
// S256 verifier and a random state.
func NewAuthorization(cfg Config) (*Authorization, error) {
	return RestoreAuthorization(cfg, randomString(32), NewVerifier())
}

// RestoreAuthorization rebuilds an Authorization from the state and
// verifier of an earlier one (Authorization.State and
// Authorization.Verifier), for a mobile app whose process died while the
// user was in the authorization app. Persist both in private storage.
func RestoreAuthorization(cfg Config, state, verifier string) (*Authorization, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if !ValidVerifier(verifier) {
		return nil, errors.New("oauth: invalid code verifier (RFC 7636 §4.1)")
	}
	if len(state) < 16 || !isToken(state) {
		return nil, errors.New("oauth: state must be at least 16 unreserved characters")
	}
	cfg.AllowedServices = append([]string(nil), cfg.AllowedServices...)
	cfg.Scopes = append([]string(nil), cfg.Scopes...)
	return &Authorization{cfg: cfg, verifier: verifier, state: state}, nil
}

func (c *Config) check() error {
	if c.ClientID == "" {
		return errors.New("oauth: Config.ClientID is empty")
	}
	if err := checkAbsolute("RedirectURI", c.RedirectURI); err != nil {
		return err
	}
	if err := checkAbsolute("AuthorizationEndpoint", c.AuthorizationEndpoint); err != nil {
		return err
	}
	if err := checkAbsolute("TokenEndpoint", c.TokenEndpoint); err != nil {
		return err
	}
	for _, s := range c.Scopes {
		if !validScopeToken(s) {
			return fmt.Errorf("oauth: Config.Scopes: invalid scope %q", s)
		}
	}
	for _, s := range c.AllowedServices {
		if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return fmt.Errorf("oauth: Config.AllowedServices: invalid service name %q", s)
		}
	}
	if c.MaxResponseBytes < 0 {
		return errors.New("oauth: Config.MaxResponseBytes is negative")
	}
	return nil
}

func checkAbsolute(field, s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Fragment != "" || u.RawFragment != "" {
		return fmt.Errorf("oauth: Config.%s must be an absolute URI without a fragment: %q", field, s)
	}
	return nil
}

// State returns the state parameter sent in AuthURL.
func (a *Authorization) State() string { return a.state }

// Verifier returns the PKCE code verifier. It is a secret: store it only
// where the app's private data lives.
func (a *Authorization) Verifier() string { return a.verifier }

// AuthURL returns the authorization request URL to open (RFC 6749
// §4.1.1 with RFC 7636 §4.3): response_type=code, client_id,
// redirect_uri, scope, state, code_challenge and
// code_challenge_method=S256. Query parameters already on
// AuthorizationEndpoint are kept.
func (a *Authorization) AuthURL() string {
	u, _ := url.Parse(a.cfg.AuthorizationEndpoint) // checked in NewAuthorization
	q := u.Query()
	q.Set("response_type", "code")
	q.Set("client_id", a.cfg.ClientID)
	q.Set("redirect_uri", a.cfg.RedirectURI)
	if len(a.cfg.Scopes) > 0 {
		q.Set("scope", strings.Join(a.cfg.Scopes, " "))
	}
	q.Set("state", a.state)
	q.Set("code_challenge", ChallengeS256(a.verifier))
	q.Set("code_challenge_method", MethodS256)
	u.RawQuery = q.Encode()
	return u.String()
}

// Token is an access token from the token endpoint (RFC 6749 §5.1).
type Token struct {
	AccessToken string
	TokenType   string    // always "Bearer": Exchange refuses any other type
	Expiry      time.Time // zero when the server sent no expires_in
	Scopes      []string  // granted scopes; the requested ones when the server omitted scope
}

// SetAuthHeader sets "Authorization: Bearer <token>" on r (RFC 6750 §2.1).
func (t *Token) SetAuthHeader(r *http.Request) {
	r.Header.Set("Authorization", "Bearer "+t.AccessToken)
}

// Expired reports whether the token has an expiry and now is past it.
func (t *Token) Expired(now time.Time) bool {
	return !t.Expiry.IsZero() && !now.Before(t.Expiry)
}

// String describes the token without revealing it, so that logging a
// Token does not leak it.
func (t *Token) String() string {
	return fmt.Sprintf("%s token [redacted] scope=%q expiry=%s", t.TokenType, strings.Join(t.Scopes, " "), t.Expiry.Format(time.RFC3339))
}

// Exchange redeems res.Code at the token endpoint (RFC 6749 §4.1.3)
// with the PKCE code_verifier, redirect_uri and client_id, and returns
// the Bearer token.
//
// hc decides the path: when res.IPCService is set, pass a client whose
// Transport is an httpipc.Transport bound to that service, so that the
// code and verifier never touch the network; otherwise pass a network
// client. Exchange never follows redirects: a 3xx answer is an error, so
// the code and verifier are sent to TokenEndpoint only.
//
// Errors: *TokenError for an RFC 6749 §5.2 error answer (test the Code,
// e.g. InvalidGrant); ErrStateMismatch when res does not belong to this
// Authorization; ErrResponseTooLarge; ErrBadTokenResponse; or the
// transport's error.
func (a *Authorization) Exchange(ctx context.Context, hc *http.Client, res Result) (*Token, error) {
	if hc == nil {
		return nil, errors.New("oauth: Exchange: nil *http.Client")
	}
	if subtle.ConstantTimeCompare([]byte(res.State), []byte(a.state)) != 1 {
		return nil, &RedirectError{Param: "state", Err: ErrStateMismatch}
	}
	if res.Code == "" {
		return nil, &RedirectError{Param: "code", Err: ErrMalformedRedirect}
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {res.Code},
		"redirect_uri":  {a.cfg.RedirectURI},
		"client_id":     {a.cfg.ClientID},
		"code_verifier": {a.verifier},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("oauth: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oauth: token request: %w", err)
	}
	defer resp.Body.Close()

	limit := a.cfg.MaxResponseBytes
	if limit == 0 {
		limit = DefaultMaxResponseBytes
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("oauth: token response: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, ErrResponseTooLarge
	}
	if resp.StatusCode != http.StatusOK {
		return nil, parseTokenError(resp, body)
	}
	return a.parseToken(resp, body)
}

// tokenResponse is the JSON of RFC 6749 §5.1 and §5.2.
type tokenResponse struct {
	AccessToken      string          `json:"access_token"`
	TokenType        string          `json:"token_type"`
	ExpiresIn        json.RawMessage `json:"expires_in"`
	Scope            string          `json:"scope"`
	Error            string          `json:"error"`
	ErrorDescription string          `json:"error_description"`
	ErrorURI         string          `json:"error_uri"`
}

func isJSON(resp *http.Response) bool {
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

func parseTokenError(resp *http.Response, body []byte) error {
	var tr tokenResponse
	if isJSON(resp) && json.Unmarshal(body, &tr) == nil && tr.Error != "" {
		return &TokenError{
			Code:        ErrorCode(tr.Error),
			Description: tr.ErrorDescription,
			URI:         tr.ErrorURI,
			StatusCode:  resp.StatusCode,
		}
	}
	return fmt.Errorf("%w: status %d without an RFC 6749 §5.2 error body", ErrBadTokenResponse, resp.StatusCode)
}

func (a *Authorization) parseToken(resp *http.Response, body []byte) (*Token, error) {
	if !isJSON(resp) {
		return nil, fmt.Errorf("%w: content type %q, want application/json", ErrBadTokenResponse, resp.Header.Get("Content-Type"))
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTokenResponse, err)
	}
	if tr.AccessToken == "" {
		return nil, fmt.Errorf("%w: no access_token", ErrBadTokenResponse)
	}
	// RFC 6749 §5.1: token_type is case insensitive.
	if !strings.EqualFold(tr.TokenType, "Bearer") {
		return nil, fmt.Errorf("%w: token_type %q, want Bearer", ErrBadTokenResponse, tr.TokenType)
	}
	tok := &Token{AccessToken: tr.AccessToken, TokenType: "Bearer"}
	if len(tr.ExpiresIn) > 0 && !bytes.Equal(tr.ExpiresIn, []byte("null")) {
		secs, err := strconv.ParseInt(string(tr.ExpiresIn), 10, 64)
		if err != nil || secs < 0 || secs > 10*365*24*3600 {
			return nil, fmt.Errorf("%w: expires_in %s", ErrBadTokenResponse, tr.ExpiresIn)
		}
		now := time.Now
		if a.cfg.Now != nil {
			now = a.cfg.Now
		}
		tok.Expiry = now().Add(time.Duration(secs) * time.Second)
	}
	if tr.Scope != "" {
		tok.Scopes = strings.Fields(tr.Scope)
	} else {
		tok.Scopes = append([]string(nil), a.cfg.Scopes...)
	}
	return tok, nil
}

// isToken reports whether s is non-empty and only unreserved characters.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			return false
		}
	}
	return true
}

// validScopeToken: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) (RFC 6749 §3.3).
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e {
			return false
		}
	}
	return true
}
