package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults for the zero fields of ServerConfig.
const (
	DefaultCodeTTL         = 60 * time.Second
	DefaultTokenTTL        = time.Hour
	DefaultMaxCodes        = 1024
	DefaultMaxTokens       = 4096
	DefaultMaxNotesPerUser = 100
)

// Scopes understood by the reference server's API.
const (
	ScopeProfile    = "profile"     // GET /api/me
	ScopeNotesRead  = "notes:read"  // GET /api/notes, GET /api/notes/{id}
	ScopeNotesWrite = "notes:write" // POST /api/notes, DELETE /api/notes/{id}
)

const (
	maxFormBytes = 16 << 10
	maxStateLen  = 512
	realm        = "appwire"
)

// ClientRegistration is a registered public client (RFC 8252 §8.4:
// native apps cannot keep secrets, so there is none).
type ClientRegistration struct {
	ID string
	// RedirectURIs are compared as exact strings, except that a loopback
	// "http://127.0.0.1/..." or "http://[::1]/..." URI matches any port
	// (RFC 8252 §7.3).
	RedirectURIs []string
}

// ServerConfig configures the reference authorization-and-API app.
type ServerConfig struct {
	// Issuer is this server's issuer identifier. When set, every
	// authorization response carries iss (RFC 9207), and
	// /.well-known/oauth-authorization-server is served (RFC 8414).
	Issuer string
	// ServiceName is the ipc-service value added to every authorization
	// response: the IPC service through which this app serves /token and
	// /api. Empty makes this an online server that sends no ipc-service.
	ServiceName string
	Clients     []ClientRegistration
	// AutoApprove, when set, approves every valid authorization request
	// as this user, for tests and demos. Otherwise the request must carry
	// login (one of Users) and approve=yes, or approve=no to deny;
	// without them /authorize answers a consent form. Both stand in for
	// the real login and consent of an authorization app: they prove
	// nothing about who the user is.
	AutoApprove string
	Users       []string
	// Scopes are the scopes that may be requested; nil means profile,
	// notes:read and notes:write. A request must name at least one.
	Scopes []string
	// CodeTTL and TokenTTL are the lifetimes of authorization codes and
	// access tokens; zero means DefaultCodeTTL and DefaultTokenTTL.
	CodeTTL, TokenTTL time.Duration
	// MaxCodes and MaxTokens cap outstanding codes (including redeemed
	// codes remembered until they expire) and tokens; zero means the
	// defaults. At the cap, /authorize answers temporarily_unavailable
	// and /token answers 503.
	MaxCodes, MaxTokens int
	// MaxNotesPerUser caps the API's notes resource per user.
	MaxNotesPerUser int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is the reference authorization app: /authorize, /token, the
// protected /api and, with an Issuer, the RFC 8414 metadata. It is an
// http.Handler, to be served over the network or through httpipc.Serve.
type Server struct {
	cfg     ServerConfig
	clients map[string]ClientRegistration
	store   *store
	mux     *http.ServeMux

	notesMu sync.Mutex
	notes   map[string][]note // user → notes, oldest first
	nextID  uint64
}

// NewServer checks cfg and returns a Server with empty state.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.CodeTTL == 0 {
		cfg.CodeTTL = DefaultCodeTTL
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.MaxCodes == 0 {
		cfg.MaxCodes = DefaultMaxCodes
	}
	if cfg.MaxTokens == 0 {
		cfg.MaxTokens = DefaultMaxTokens
	}
	if cfg.MaxNotesPerUser == 0 {
		cfg.MaxNotesPerUser = DefaultMaxNotesPerUser
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Scopes == nil {
		cfg.Scopes = []string{ScopeProfile, ScopeNotesRead, ScopeNotesWrite}
	}
	if cfg.CodeTTL < 0 || cfg.TokenTTL < 0 || cfg.MaxCodes < 0 || cfg.MaxTokens < 0 || cfg.MaxNotesPerUser < 0 {
		return nil, errors.New("oauth: ServerConfig: negative TTL or limit")
	}
	for _, s := range cfg.Scopes {
		if !validScopeToken(s) {
			return nil, fmt.Errorf("oauth: ServerConfig.Scopes: invalid scope %q", s)
		}
	}
	if cfg.AutoApprove == "" && len(cfg.Users) == 0 {
		return nil, errors.New("oauth: ServerConfig: no AutoApprove user and no Users")
	}
	s := &Server{
		cfg:     cfg,
		clients: make(map[string]ClientRegistration),
		store:   newStore(cfg.Now, cfg.MaxCodes, cfg.MaxTokens),
		notes:   make(map[string][]note),
	}
	for _, c := range cfg.Clients {
		if c.ID == "" || len(c.RedirectURIs) == 0 {
			return nil, errors.New("oauth: ServerConfig.Clients: a client needs an ID and a redirect URI")
		}
		if _, dup := s.clients[c.ID]; dup {
			return nil, fmt.Errorf("oauth: ServerConfig.Clients: duplicate client %q", c.ID)
		}
		for _, r := range c.RedirectURIs {
			if err := checkAbsolute("Clients.RedirectURIs", r); err != nil {
				return nil, err
			}
		}
		c.RedirectURIs = slices.Clone(c.RedirectURIs)
		s.clients[c.ID] = c
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", s.authorize)
	mux.HandleFunc("/token", s.token)
	if cfg.Issuer != "" {
		mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.metadata)
	}
	s.routeAPI(mux)
	s.mux = mux
	return s, nil
}

// ServeHTTP routes to /authorize, /token, /api and the metadata.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// repeated returns the first of names that appears more than once
// (RFC 6749 §3.1: parameters MUST NOT be repeated), or "".
func repeated(v url.Values, names ...string) string {
	for _, n := range names {
		if len(v[n]) > 1 {
			return n
		}
	}
	return ""
}

// ---- /authorize (RFC 6749 §4.1.1, §4.1.2; RFC 7636 §4.3, §4.4) ----

var authParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state",
	"code_challenge", "code_challenge_method", "login", "approve"}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
	var q url.Values
	switch r.Method {
	case http.MethodGet:
		q = r.URL.Query()
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "oauth: bad form", http.StatusBadRequest)
			return
		}
		q = r.PostForm
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "oauth: method not allowed", http.StatusMethodNotAllowed)
		return
	}

	// §4.1.2.1: with a bad client_id or redirect_uri the server MUST NOT
	// redirect; it tells the user instead.
	if repeated(q, "client_id", "redirect_uri") != "" {
		http.Error(w, "oauth: repeated client_id or redirect_uri", http.StatusBadRequest)
		return
	}
	client, ok := s.clients[q.Get("client_id")]
	if !ok {
		http.Error(w, "oauth: unknown client_id", http.StatusBadRequest)
		return
	}
	redirectURI := q.Get("redirect_uri")
	if !slices.ContainsFunc(client.RedirectURIs, func(reg string) bool { return redirectMatches(reg, redirectURI) }) {
		http.Error(w, "oauth: redirect_uri is not registered for this client", http.StatusBadRequest)
		return
	}

	// From here on, errors go back to the client by redirect.
	state := q.Get("state")
	fail := func(code ErrorCode, desc string) {
		s.redirect(w, r, redirectURI, url.Values{"error": {string(code)}, "error_description": {desc}}, state)
	}
	if p := repeated(q, authParams...); p != "" {
		fail(InvalidRequest, "repeated parameter "+p)
		return
	}
	if len(state) > maxStateLen {
		state = ""
		fail(InvalidRequest, "state too long")
		return
	}
	switch rt := q.Get("response_type"); {
	case rt == "":
		fail(InvalidRequest, "missing response_type")
		return
	case rt != "code":
		fail(UnsupportedResponseType, "only response_type=code is supported")
		return
	}
	// RFC 7636 §4.4.1: PKCE is required; a missing method means plain,
	// which this server does not support.
	challenge := q.Get("code_challenge")
	if challenge == "" {
		fail(InvalidRequest, "code challenge required")
		return
	}
	if m := q.Get("code_challenge_method"); m != MethodS256 {
		fail(InvalidRequest, "transform algorithm not supported: code_challenge_method must be S256")
		return
	}
	if !validChallenge(challenge) {
		fail(InvalidRequest, "malformed code_challenge")
		return
	}
	scopes, ok := s.parseScope(q.Get("scope"))
	if !ok {
		fail(InvalidScope, "scope is missing, malformed or not supported")
		return
	}

	user := s.cfg.AutoApprove
	if user == "" {
		switch q.Get("approve") {
		case "":
			s.consent(w, client.ID, q)
			return
		case "yes":
			user = q.Get("login")
			if !slices.Contains(s.cfg.Users, user) {
				fail(AccessDenied, "unknown user")
				return
			}
		default:
			fail(AccessDenied, "the user denied the request")
			return
		}
	}

	code := s.store.addCode(&codeEntry{
		clientID:    client.ID,
		redirectURI: redirectURI,
		challenge:   challenge,
		scopes:      scopes,
		user:        user,
	}, s.cfg.CodeTTL)
	if code == "" {
		fail(TemporarilyUnavailable, "too many outstanding authorization codes")
		return
	}
	params := url.Values{"code": {code}}
	if s.cfg.ServiceName != "" {
		params.Set(ParamIPCService, s.cfg.ServiceName)
	}
	s.redirect(w, r, redirectURI, params, state)
}

// redirect sends the authorization response to redirectURI, keeping its
// query (RFC 6749 §3.1.2) and adding state and iss.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values, state string) {
	u, _ := url.Parse(redirectURI) // registered URIs are checked in NewServer
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if state != "" {
		q.Set("state", state)
	}
	if s.cfg.Issuer != "" {
		q.Set("iss", s.cfg.Issuer)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// redirectMatches compares a requested redirect URI with a registered
// one: exactly, or for a loopback IP literal with any port (RFC 8252
// §7.3). "localhost" gets no port leeway (RFC 8252 §8.3).
func redirectMatches(registered, requested string) bool {
	if registered == requested {
		return true
	}
	reg, err1 := url.Parse(registered)
	req, err2 := url.Parse(requested)
	if err1 != nil || err2 != nil || reg.Scheme != "http" || req.Scheme != "http" {
		return false
	}
	ip := net.ParseIP(reg.Hostname())
	if ip == nil || !ip.IsLoopback() || req.Hostname() != reg.Hostname() || req.Port() == "" {
		return false
	}
	return req.User == nil && reg.User == nil && req.Path == reg.Path && req.RawQuery == reg.RawQuery &&
		req.Fragment == "" && req.Opaque == "" && reg.Opaque == ""
}

// parseScope splits a requested scope and checks each token is supported.
func (s *Server) parseScope(scope string) ([]string, bool) {
	var out []string
	for _, t := range strings.Split(scope, " ") {
		if !validScopeToken(t) || !slices.Contains(s.cfg.Scopes, t) {
			return nil, false
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, len(out) > 0
}

var consentForm = template.Must(template.New("consent").Parse(`<!doctype html>
<title>Authorize {{.Client}}</title>
<form method="post" action="authorize">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<p>{{.Client}} asks for: {{.Scope}}</p>
<label>User <input name="login"></label>
<button name="approve" value="yes">Approve</button>
<button name="approve" value="no">Deny</button>
</form>
`))

// consent shows the demo consent form. It posts back the validated
// request, so the second round trip is checked again in full.
func (s *Server) consent(w http.ResponseWriter, client string, q url.Values) {
	params := map[string]string{}
	for _, k := range []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"} {
		if q.Has(k) {
			params[k] = q.Get(k)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = consentForm.Execute(w, struct {
		Client, Scope string
		Params        map[string]string
	}{client, q.Get("scope"), params})
}

// ---- /token (RFC 6749 §4.1.3, §5; RFC 7636 §4.5, §4.6) ----

var tokenParams = []string{"grant_type", "code", "redirect_uri", "client_id", "code_verifier"}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		tokenError(w, http.StatusMethodNotAllowed, InvalidRequest, "the token endpoint takes POST only")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		tokenError(w, http.StatusBadRequest, InvalidRequest, "body must be application/x-www-form-urlencoded")
		return
	}
	if r.Header.Get("Authorization") != "" {
		// Only public clients here; a client that tried to authenticate
		// gets 401 with a challenge for the scheme (RFC 6749 §5.2).
		w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
		tokenError(w, http.StatusUnauthorized, InvalidClient, "client authentication is not supported for public clients")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, InvalidRequest, "malformed or oversized form")
		return
	}
	f := r.PostForm // never the URL query: secrets do not belong in URLs
	if p := repeated(f, tokenParams...); p != "" {
		tokenError(w, http.StatusBadRequest, InvalidRequest, "repeated parameter "+p)
		return
	}
	switch gt := f.Get("grant_type"); {
	case gt == "":
		tokenError(w, http.StatusBadRequest, InvalidRequest, "missing grant_type")
		return
	case gt != "authorization_code":
		tokenError(w, http.StatusBadRequest, UnsupportedGrantType, "only authorization_code is supported")
		return
	}
	for _, p := range []string{"code", "redirect_uri", "client_id", "code_verifier"} {
		if f.Get(p) == "" {
			tokenError(w, http.StatusBadRequest, InvalidRequest, "missing "+p)
			return
		}
	}
	verifier := f.Get("code_verifier")
	if !ValidVerifier(verifier) {
		tokenError(w, http.StatusBadRequest, InvalidRequest, "code_verifier must be 43-128 unreserved characters")
		return
	}
	clientID, redirectURI := f.Get("client_id"), f.Get("redirect_uri")
	if _, ok := s.clients[clientID]; !ok {
		tokenError(w, http.StatusUnauthorized, InvalidClient, "unknown client")
		return
	}
	tok, t, res := s.store.redeem(f.Get("code"), func(c *codeEntry) bool {
		// Evaluate all three so the time taken does not say which failed.
		okClient := c.clientID == clientID
		okRedirect := c.redirectURI == redirectURI
		okVerifier := verifyS256(verifier, c.challenge)
		return okClient && okRedirect && okVerifier
	}, s.cfg.TokenTTL)
	switch res {
	case redeemUnknown:
		tokenError(w, http.StatusBadRequest, InvalidGrant, "unknown or expired code")
		return
	case redeemReplayed:
		tokenError(w, http.StatusBadRequest, InvalidGrant, "code already used; tokens issued for it are revoked")
		return
	case redeemMismatch:
		tokenError(w, http.StatusBadRequest, InvalidGrant, "code was issued to another client, redirect_uri or code_challenge")
		return
	case redeemFull:
		w.Header().Set("Retry-After", "60")
		tokenError(w, http.StatusServiceUnavailable, TemporarilyUnavailable, "too many outstanding tokens")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"token_type":   "Bearer",
		"expires_in":   int64(s.cfg.TokenTTL / time.Second),
		"scope":        strings.Join(t.scopes, " "),
	})
}

// tokenError writes an RFC 6749 §5.2 error.
func tokenError(w http.ResponseWriter, status int, code ErrorCode, desc string) {
	writeJSON(w, status, map[string]string{"error": string(code), "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// metadata serves RFC 8414 authorization server metadata.
func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	base := strings.TrimSuffix(s.cfg.Issuer, "/")
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                         s.cfg.Issuer,
		"authorization_endpoint":                         base + "/authorize",
		"token_endpoint":                                 base + "/token",
		"response_types_supported":                       []string{"code"},
		"grant_types_supported":                          []string{"authorization_code"},
		"code_challenge_methods_supported":               []string{MethodS256},
		"token_endpoint_auth_methods_supported":          []string{"none"},
		"scopes_supported":                               s.cfg.Scopes,
		"authorization_response_iss_parameter_supported": true,
	})
}
