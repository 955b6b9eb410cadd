package loopapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
	"github.com/appwire/appwire/loopapi/hawk"
)

// Profile selects the upstream version whose behaviour the server follows
// where versions differ.
type Profile int

const (
	// Profile017 is loop-server 0.17.8: the whole registration, call-url,
	// calls flow works.
	Profile017 Profile = iota
	// ProfileHead is loop-server HEAD (2016): POST /call-url answers 405
	// errno 204 "No longer supported"; the rest is as 0.17.8.
	ProfileHead
)

func (p Profile) String() string {
	if p == ProfileHead {
		return "head"
	}
	return "0.17"
}

// Defaults of Options (upstream's configuration defaults).
const (
	DefaultSessionTTL          = 30 * 24 * time.Hour // hawkSessionDuration
	DefaultCallURLTimeout      = 720                 // hours (callUrls.timeout)
	DefaultCallURLMaxTimeout   = 720                 // hours (callUrls.maxTimeout)
	DefaultCallDuration        = 60 * time.Second    // callDuration
	DefaultMaxSubjectSize      = 124                 // calls.maxSubjectSize
	DefaultSupervisoryDuration = 10 * time.Second    // timers.supervisoryDuration
	DefaultRingingDuration     = 30 * time.Second    // timers.ringingDuration
	DefaultConnectionDuration  = 10 * time.Second    // timers.connectionDuration
	DefaultRetryAfter          = 30                  // seconds
	DefaultMaxBodySize         = 64 << 10            // bytes of a request body
	DefaultMaxMessageSize      = 16 << 10            // bytes of a websocket message
	DefaultPushTimeout         = 5 * time.Second     // one SimplePush PUT
	DefaultMaxPushInFlight     = 256                 // concurrent SimplePush PUTs
	DefaultMaxWebsockets       = 10000               // open call websockets
	DefaultStoreTimeout        = 5 * time.Second     // one Store call from a timer or websocket
	DefaultCallURLTemplate     = "http://localhost:3000/c/{token}"
	DefaultRoomURLTemplate     = "http://localhost:3000/{token}"
	DefaultRoomMaxSize         = 5
	DefaultRoomTTL             = 8 * 7 * 24 // hours (rooms.defaultTTL)
	DefaultRoomMaxTTL          = 8 * 7 * 24 // hours (rooms.maxTTL)
	DefaultParticipantTTL      = 5 * time.Minute
	DefaultRoomDeletedTTL      = 27 * 24 * time.Hour
)

// Options configures NewServer. The zero value is a 0.17.8 server with an
// in-memory store, the local identity verifier, the fake media provider
// and random secrets (sessions do not survive a restart: set the secrets
// for that, and share them between nodes).
type Options struct {
	Profile Profile
	// Store keeps the state; nil means NewMemoryStore. Several servers
	// (processes) sharing a redisstore.Store serve the same users.
	Store Store
	// Verifier checks BrowserID assertions; nil means LocalVerifier.
	Verifier Verifier
	// Audience is the BrowserID audience passed to the Verifier; "" means
	// the request's origin ("http://" + Host).
	Audience string
	// Provider makes media sessions; nil means FakeProvider{}.
	Provider Provider

	// HawkIDSecret keys the HMAC that turns a Hawk id into its store key
	// (hawkIdSecret); UserMacSecret keys the HMAC of user identities
	// (userMacSecret). 16 bytes or more; nil means random. Every node of a
	// cluster must have the same.
	HawkIDSecret  []byte
	UserMacSecret []byte

	// PublicURL is the server's base URL as clients reach it, e.g.
	// "https://loop.example.com"; progressURL is its ws(s) form plus
	// /websocket. "" means the scheme and Host of each request.
	PublicURL       string
	CallURLTemplate string // webAppUrl; "{token}" is replaced
	RoomURLTemplate string // rooms.webAppUrl
	// PushServerURIs are the SimplePush servers GET /push-server-config
	// hands out and GET /__heartbeat__ checks with PushCheck.
	PushServerURIs []string
	// PushCheck tells whether a push server is up; nil means upstream's
	// check, GET http(s)://<host>/status answering 200. (Our simplepush
	// server has no /status: check it with a WebSocket handshake.)
	PushCheck func(ctx context.Context, uri string) error
	// AllowedOrigins may use the API cross-origin; "*" allows every
	// origin. nil means {"http://localhost:3000"}, upstream's default.
	AllowedOrigins []string
	HideVersion    bool // leave "version" out of GET /

	SessionTTL        time.Duration // hawkSessionDuration
	CallURLTimeout    int64         // hours
	CallURLMaxTimeout int64         // hours
	CallDuration      time.Duration
	MaxSubjectSize    int

	// The call timers (section 5); tests set them short.
	SupervisoryDuration time.Duration
	RingingDuration     time.Duration
	ConnectionDuration  time.Duration

	RoomMaxSize     int
	RoomTTL         int64 // hours, default expiresIn
	RoomMaxTTL      int64 // hours
	ParticipantTTL  time.Duration
	RoomDeletedTTL  time.Duration
	MaxRoomNameSize int
	MaxContextSize  int

	RetryAfter     int   // seconds, on 503 and 429
	MaxBodySize    int64 // bytes; 413 errno 113 above
	MaxMessageSize int64 // bytes of a websocket message (close 1009 above)
	// MaxWebsockets bounds open call websockets (default 10000, negative:
	// unlimited); an upgrade above it is answered 503 errno 201.
	MaxWebsockets int

	// PushClient sends the SimplePush PUTs; nil means a client with
	// PushTimeout. MaxPushInFlight bounds concurrent PUTs (more wait).
	PushClient      *http.Client
	PushTimeout     time.Duration
	MaxPushInFlight int
	StoreTimeout    time.Duration

	// HawkHost and HawkPort, when set, are the host and port Hawk MACs
	// are checked against instead of the request's Host header: what
	// clients address when a proxy in front rewrites Host or terminates
	// TLS (upstream forces port 443 behind TLS).
	HawkHost string
	HawkPort int
	// HawkSkew is the allowed clock skew (default 60 s). Nonces refuses
	// replayed Hawk requests; nil means the Store when it implements
	// hawk.NonceCache (redisstore does, so replays are refused across
	// nodes), else a bounded in-memory cache.
	HawkSkew time.Duration
	Nonces   hawk.NonceCache

	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logf receives one line per notable event; nil means silence.
	Logf func(format string, args ...any)
}

func (o *Options) withDefaults() error {
	if o.Store == nil {
		o.Store = NewMemoryStore(MemoryStoreOptions{Now: o.Now})
	}
	if o.Verifier == nil {
		o.Verifier = LocalVerifier{}
	}
	if o.Provider == nil {
		o.Provider = FakeProvider{}
	}
	for _, s := range []*[]byte{&o.HawkIDSecret, &o.UserMacSecret} {
		if *s == nil {
			*s = make([]byte, 16)
			rand.Read(*s)
		} else if len(*s) < 16 {
			return errors.New("loopapi: secrets must be at least 16 bytes")
		}
	}
	if o.PublicURL != "" {
		o.PublicURL = strings.TrimRight(o.PublicURL, "/")
		if !strings.HasPrefix(o.PublicURL, "http://") && !strings.HasPrefix(o.PublicURL, "https://") {
			return fmt.Errorf("loopapi: PublicURL %q must start with http:// or https://", o.PublicURL)
		}
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.CallURLTemplate, DefaultCallURLTemplate)
	def(&o.RoomURLTemplate, DefaultRoomURLTemplate)
	if o.AllowedOrigins == nil {
		o.AllowedOrigins = []string{"http://localhost:3000"}
	}
	dur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	dur(&o.SessionTTL, DefaultSessionTTL)
	dur(&o.CallDuration, DefaultCallDuration)
	dur(&o.SupervisoryDuration, DefaultSupervisoryDuration)
	dur(&o.RingingDuration, DefaultRingingDuration)
	dur(&o.ConnectionDuration, DefaultConnectionDuration)
	dur(&o.ParticipantTTL, DefaultParticipantTTL)
	dur(&o.RoomDeletedTTL, DefaultRoomDeletedTTL)
	dur(&o.PushTimeout, DefaultPushTimeout)
	dur(&o.StoreTimeout, DefaultStoreTimeout)
	dur(&o.HawkSkew, hawk.DefaultSkew)
	i64 := func(p *int64, v int64) {
		if *p <= 0 {
			*p = v
		}
	}
	i64(&o.CallURLTimeout, DefaultCallURLTimeout)
	i64(&o.CallURLMaxTimeout, DefaultCallURLMaxTimeout)
	i64(&o.RoomTTL, DefaultRoomTTL)
	i64(&o.RoomMaxTTL, DefaultRoomMaxTTL)
	i64(&o.MaxBodySize, DefaultMaxBodySize)
	i64(&o.MaxMessageSize, DefaultMaxMessageSize)
	in := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	in(&o.MaxSubjectSize, DefaultMaxSubjectSize)
	in(&o.RoomMaxSize, DefaultRoomMaxSize)
	in(&o.MaxRoomNameSize, 100)
	in(&o.MaxContextSize, 8<<10)
	in(&o.RetryAfter, DefaultRetryAfter)
	in(&o.MaxPushInFlight, DefaultMaxPushInFlight)
	if o.MaxWebsockets == 0 {
		o.MaxWebsockets = DefaultMaxWebsockets
	}
	if o.PushCheck == nil {
		hc := o.PushClient
		o.PushCheck = func(ctx context.Context, uri string) error { return getStatus(ctx, hc, uri) }
	}
	if o.PushClient == nil {
		o.PushClient = &http.Client{Timeout: o.PushTimeout}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Nonces == nil {
		if nc, ok := o.Store.(hawk.NonceCache); ok {
			o.Nonces = nc
		}
	}
	return nil
}

// Server is the reference Loop server: an http.Handler serving the REST
// API at / and /v0, and the call websocket at /websocket.
type Server struct {
	opts  Options
	store Store
	hawk  *hawk.Server

	pushSem chan struct{}
	bg      sync.WaitGroup // SimplePush PUTs and timers in flight

	mu      sync.Mutex
	closing bool
	conns   map[*wsconn.Conn]struct{}
	nws     int // call websockets being served
	timers  map[*time.Timer]struct{}
	wsWG    sync.WaitGroup
}

// NewServer returns a Server; it fails only on bad Options.
func NewServer(opts Options) (*Server, error) {
	if err := opts.withDefaults(); err != nil {
		return nil, err
	}
	s := &Server{
		opts: opts, store: opts.Store,
		pushSem: make(chan struct{}, opts.MaxPushInFlight),
		conns:   map[*wsconn.Conn]struct{}{},
		timers:  map[*time.Timer]struct{}{},
	}
	s.hawk = hawk.NewServer(s.lookupCredentials, hawk.Options{Skew: opts.HawkSkew, Nonces: opts.Nonces, Now: opts.Now,
		Host: opts.HawkHost, Port: opts.HawkPort})
	return s, nil
}

// Store returns the server's store.
func (s *Server) Store() Store { return s.store }

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

func (s *Server) now() time.Time { return s.opts.Now() }

// Serve serves on ln until ctx ends, then shuts down gracefully (see
// Shutdown), waiting at most 10 s.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := s.Shutdown(sctx); err == nil {
		err = serr
	}
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// Shutdown closes every call websocket (1001 going away), stops the call
// timers and waits for the SimplePush PUTs in flight, or until ctx ends.
// Requests still arriving are answered 503. Stop the HTTP server first
// (http.Server.Shutdown) so no new request starts.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	conns := make([]*wsconn.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	for t := range s.timers {
		if t.Stop() {
			s.bg.Done()
		}
	}
	clear(s.timers)
	s.mu.Unlock()
	for _, c := range conns {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		_ = c.Close(cctx, wsconn.StatusGoingAway, "server shutting down")
		cancel()
	}
	done := make(chan struct{})
	go func() { s.wsWG.Wait(); s.bg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close is Shutdown without a deadline beyond 10 s.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Shutdown(ctx)
}

// after runs fn after d unless the server shuts down first.
func (s *Server) after(d time.Duration, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	var t *time.Timer
	s.bg.Add(1)
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		_, live := s.timers[t]
		delete(s.timers, t)
		s.mu.Unlock()
		if !live {
			return // Shutdown stopped it after it fired; Done already counted
		}
		defer s.bg.Done()
		fn()
	})
	s.timers[t] = struct{}{}
}

// storeCtx bounds a store call made outside a request.
func (s *Server) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.opts.StoreTimeout)
}

// authLevel is what a route requires of the Authorization header.
type authLevel int

const (
	authNone        authLevel = iota
	authCreate                // POST /registration: none (new session), BrowserID or Hawk
	authHawk                  // a valid Hawk session
	authRegistered            // a Hawk session linked to a registered user
	authOptional              // Hawk or BrowserID if present (POST /calls/{token})
	authHawkOrBasic           // rooms: Hawk, a Basic participant token, or none
)

type route struct {
	method string
	path   []string // segments; ":token" matches one segment
	auth   authLevel
	body   bool // reads a body
	h      func(*Server, *request)
}

var routes = []route{
	{"GET", seg("/"), authNone, false, (*Server).handleRoot},
	{"GET", seg("/__heartbeat__"), authNone, false, (*Server).handleHeartbeat},
	{"GET", seg("/__lbheartbeat__"), authNone, false, (*Server).handleLBHeartbeat},
	{"GET", seg("/push-server-config"), authNone, false, (*Server).handlePushServerConfig},
	{"POST", seg("/registration"), authCreate, true, (*Server).handleRegister},
	{"DELETE", seg("/registration"), authHawk, false, (*Server).handleUnregister},
	{"POST", seg("/call-url"), authHawk, true, (*Server).handleCreateCallURL},
	{"GET", seg("/call-url"), authHawk, false, (*Server).handleListCallURLs},
	{"PUT", seg("/call-url/:token"), authHawk, true, (*Server).handleUpdateCallURL},
	{"DELETE", seg("/call-url/:token"), authHawk, false, (*Server).handleDeleteCallURL},
	{"GET", seg("/calls/:token"), authNone, false, (*Server).handleCallURLInfo},
	{"POST", seg("/calls/:token"), authOptional, true, (*Server).handleCallByToken},
	{"GET", seg("/calls"), authHawk, false, (*Server).handleListCalls},
	{"POST", seg("/calls"), authRegistered, true, (*Server).handleDirectCall},
	{"DELETE", seg("/account"), authHawk, false, (*Server).handleDeleteAccount},
	{"DELETE", seg("/session"), authRegistered, false, (*Server).handleDeleteSession},
	{"POST", seg("/rooms"), authHawk, true, (*Server).handleCreateRoom},
	{"GET", seg("/rooms"), authHawk, false, (*Server).handleListRooms},
	{"PATCH", seg("/rooms"), authHawk, true, (*Server).handleDeleteRooms},
	{"GET", seg("/rooms/:token"), authHawkOrBasic, false, (*Server).handleGetRoom},
	{"PATCH", seg("/rooms/:token"), authHawk, true, (*Server).handleUpdateRoom},
	{"DELETE", seg("/rooms/:token"), authHawk, false, (*Server).handleDeleteRoom},
	{"POST", seg("/rooms/:token"), authHawkOrBasic, true, (*Server).handleRoomAction},
}

func seg(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// match finds the route for method and path segments; token is the
// ":token" segment.
func match(method string, parts []string) (*route, string, bool) {
	for i := range routes {
		rt := &routes[i]
		if rt.method != method && (method != http.MethodHead || rt.method != http.MethodGet) {
			continue
		}
		if len(rt.path) != len(parts) {
			continue
		}
		token, ok := "", true
		for j, p := range rt.path {
			if p == ":token" {
				if parts[j] == "" {
					ok = false
					break
				}
				token = parts[j]
			} else if p != parts[j] {
				ok = false
				break
			}
		}
		if ok {
			return rt, token, true
		}
	}
	return nil, "", false
}

// request is one API request as the handlers see it.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	ctx   context.Context
	token string // the :token segment
	body  Params
	raw   []byte

	auth       *hawk.Auth // set when Hawk-authenticated
	id         string     // hawkIdHmac of the session
	user       string     // userHmac (registered) or hawkIdHmac (anonymous)
	registered bool
	identity   string // the registered user's identity, when known
	hawkID     string // the Hawk id (tokenId) of the request

	participant string // rooms: the Basic participant id
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	under := strings.HasPrefix(path, "/v0/") || path == "/v0"
	rel := path
	if under {
		rel = strings.TrimPrefix(path, "/v0")
	}
	s.cors(w, r)
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE")
		if h := r.Header.Get("Access-Control-Request-Headers"); h != "" {
			w.Header().Set("Access-Control-Allow-Headers", h)
			w.Header().Add("Vary", "Access-Control-Request-Headers")
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if rel == "/websocket" && r.Method == http.MethodGet && wsconn.IsUpgrade(r) {
		s.serveWebsocket(w, r)
		return
	}
	parts := seg(rel)
	rt, token, ok := match(r.Method, parts)
	if !ok {
		if !under {
			w.Header().Set("Location", "/v0"+r.URL.RequestURI())
			w.WriteHeader(http.StatusTemporaryRedirect)
			return
		}
		s.fail(&request{w: w, r: r, ctx: r.Context()}, errNotFoundRoute())
		return
	}
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	req := &request{w: w, r: r, ctx: r.Context(), token: token}
	if closing {
		s.fail(req, errBackend())
		return
	}
	if s.opts.Profile == ProfileHead && rt.method == http.MethodPost && len(rt.path) == 1 && rt.path[0] == "call-url" {
		s.fail(req, NewError(http.StatusMethodNotAllowed, ErrnoNoLongerSupported, "No longer supported"))
		return
	}
	if rt.body {
		if e := s.readBody(req); e != nil {
			s.fail(req, e)
			return
		}
	}
	if e := s.authorize(req, rt.auth); e != nil {
		s.fail(req, e)
		return
	}
	rt.h(s, req)
}

func (s *Server) cors(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	for _, o := range s.opts.AllowedOrigins {
		if o == "*" || o == origin {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Add("Vary", "Origin")
			return
		}
	}
}

// readBody reads a bounded body into req.body.
func (s *Server) readBody(req *request) *Error {
	r := req.r
	if r.ContentLength > s.opts.MaxBodySize {
		return NewError(http.StatusRequestEntityTooLarge, ErrnoRequestTooLarge, "Request too large")
	}
	b, err := io.ReadAll(http.MaxBytesReader(req.w, r.Body, s.opts.MaxBodySize))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return NewError(http.StatusRequestEntityTooLarge, ErrnoRequestTooLarge, "Request too large")
		}
		return NewError(http.StatusBadRequest, ErrnoBadJSON, "unreadable body")
	}
	p, e := ParseParams(r.Header.Get("Content-Type"), b)
	if e != nil {
		return e
	}
	req.raw, req.body = b, p
	return nil
}

// acceptsJSON is Express's req.accepts("json").
func acceptsJSON(r *http.Request) bool {
	acc := r.Header.Values("Accept")
	if len(acc) == 0 {
		return true
	}
	for _, h := range acc {
		for _, part := range strings.Split(h, ",") {
			fields := strings.Split(part, ";")
			mt := strings.ToLower(strings.TrimSpace(fields[0]))
			if mt != "application/json" && mt != "application/*" && mt != "*/*" {
				continue
			}
			q := 1.0
			for _, f := range fields[1:] {
				if v, ok := strings.CutPrefix(strings.TrimSpace(f), "q="); ok {
					if n, err := strconv.ParseFloat(v, 64); err == nil {
						q = n
					}
				}
			}
			if q > 0 {
				return true
			}
		}
	}
	return false
}

// reply writes v as the JSON answer (nil: an empty body), signing it with
// Server-Authorization when the request was Hawk-authenticated.
func (s *Server) reply(req *request, status int, v any) {
	var body []byte
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			s.logf("loopapi: encode answer: %v", err)
			status, body = http.StatusInternalServerError, []byte(`{"code":500,"errno":999,"error":"Internal Server Error"}`)
		}
	}
	s.write(req, status, body)
}

const jsonType = "application/json; charset=utf-8"

func (s *Server) write(req *request, status int, body []byte) {
	h := req.w.Header()
	if status != http.StatusNoContent {
		h.Set("Content-Type", jsonType)
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	switch status {
	case http.StatusOK, http.StatusUnauthorized:
		h.Set("Timestamp", strconv.FormatInt(s.now().Unix(), 10))
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		h.Set("Retry-After", strconv.Itoa(s.opts.RetryAfter))
	}
	if req.auth != nil {
		o := hawk.ResponseOptions{}
		if len(body) > 0 {
			o = hawk.ResponseOptions{HashPayload: true, ContentType: jsonType, Payload: body}
		}
		h.Set("Server-Authorization", req.auth.ResponseHeader(o))
	}
	req.w.WriteHeader(status)
	if status != http.StatusNoContent && req.r.Method != http.MethodHead {
		_, _ = req.w.Write(body)
	}
}

// fail writes an error body.
func (s *Server) fail(req *request, e *Error) {
	for k, v := range e.Header {
		req.w.Header()[k] = v
	}
	b, _ := e.MarshalJSON()
	s.write(req, e.Code, b)
}

// backend answers a store or provider failure: 503 errno 201.
func (s *Server) backend(req *request, op string, err error) {
	s.logf("loopapi: %s: %v", op, err)
	s.fail(req, errBackend())
}

// noContent answers 204 when a store call succeeded, the backend error
// otherwise.
func (s *Server) noContent(req *request, op string, err error) {
	if err != nil {
		s.backend(req, op, err)
		return
	}
	s.reply(req, http.StatusNoContent, nil)
}

// baseURL is the server's URL as the client addressed it.
func (s *Server) baseURL(r *http.Request) string {
	if s.opts.PublicURL != "" {
		return s.opts.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// progressURL is the call websocket's URL.
func (s *Server) progressURL(r *http.Request) string {
	b := s.baseURL(r)
	if rest, ok := strings.CutPrefix(b, "https://"); ok {
		return "wss://" + rest + "/websocket"
	}
	return "ws://" + strings.TrimPrefix(b, "http://") + "/websocket"
}
