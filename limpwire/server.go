package limpwire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
)

// ClientApp is one application allowed to verify a connection
// (docs/protocols/limp.md section 2).
type ClientApp struct {
	ID string
	// Web apps are accepted only from the listed Origin header values
	// (exact match, e.g. "https://app.example.com").
	Web     bool
	Origins []string
}

// Options configures a Server. The zero value serves LIMP 6.0 with an
// in-memory store, every client app accepted, and 6.0's defaults.
type Options struct {
	// Store keeps users, sessions and module collections. Nil means
	// NewMemoryStore(); the server closes neither (the caller owns it).
	Store Store

	// ClientApps lists the apps conn/verify accepts; empty accepts any
	// app (as "__public").
	ClientApps []ClientApp

	// AnonToken is the anonymous signing key; empty means AnonToken.
	AnonToken string

	// AnonPrivileges are the privileges of anonymous callers, by module.
	AnonPrivileges map[string][]string

	// AuthAttrs are the user attributes session/auth accepts, in the
	// order they are looked for; nil means email, username, phone.
	AuthAttrs []string

	// Realms, when not nil, turns realm mode on: the server answers on
	// /ws/{realm} for the realms it lists, and an unknown realm gets the
	// 1008 CORE_CONN_CLOSED message and a close.
	Realms []string

	// ConnTimeout closes a connection with no message for that long;
	// zero means 120 s. IdleCheck is how often idle connections are
	// looked for; zero means 60 s (6.0's loop), so the close comes
	// between ConnTimeout and ConnTimeout+IdleCheck. Negative disables.
	ConnTimeout, IdleCheck time.Duration

	// Calls allowed per QuotaWindow (zero means 60 s): QuotaIP for all
	// connections of one IP (zero means 500), QuotaAnon and QuotaAuth
	// for one connection without and with a session (zero means 40 and
	// 100). As in 6.0, with quota Q a window admits Q-1 messages. A
	// negative value disables that quota.
	QuotaIP, QuotaAnon, QuotaAuth int
	QuotaWindow                   time.Duration

	// MaxConnections bounds the open WebSocket connections; zero means
	// 10000, negative means no bound. An upgrade over it is answered
	// HTTP 503.
	MaxConnections int

	// MaxFrameSize is the largest client message; zero means 4 MiB. A
	// bigger one closes the connection with WebSocket code 1009.
	MaxFrameSize int64

	// MaxUploadBytes bounds the file bytes one connection may hold in
	// pending uploads; zero means 64 MiB.
	MaxUploadBytes int64

	// MaxTasks bounds the method calls one connection runs at once;
	// zero means 64. Further calls wait (the connection stops reading).
	// It also bounds the watch tasks of one connection: one more is
	// answered 400 CORE_WATCH_LIMIT.
	MaxTasks int

	// SessionLifetime is how long a session lives after auth or reauth;
	// zero means 30 days.
	SessionLifetime time.Duration

	// WriteTimeout bounds the write of one message; zero means 10 s.
	WriteTimeout time.Duration

	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// Logf, when set, receives method failures (500s) and their causes.
	Logf func(format string, args ...any)
}

func (o *Options) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defInt := func(d *int, v int) {
		if *d == 0 {
			*d = v
		}
	}
	if o.Store == nil {
		o.Store = NewMemoryStore()
	}
	if o.AnonToken == "" {
		o.AnonToken = AnonToken
	}
	if o.AuthAttrs == nil {
		o.AuthAttrs = []string{"email", "username", "phone"}
	}
	def(&o.ConnTimeout, 120*time.Second)
	def(&o.IdleCheck, 60*time.Second)
	def(&o.QuotaWindow, 60*time.Second)
	def(&o.SessionLifetime, 30*24*time.Hour)
	def(&o.WriteTimeout, 10*time.Second)
	defInt(&o.QuotaIP, 500)
	defInt(&o.QuotaAnon, 40)
	defInt(&o.QuotaAuth, 100)
	defInt(&o.MaxTasks, 64)
	defInt(&o.MaxConnections, 10000)
	if o.MaxFrameSize <= 0 {
		o.MaxFrameSize = MaxFrameSize
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = 64 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Server is the reference LIMP 6.0 server, an http.Handler for "/ws" and
// "/ws/{realm}". Create it with NewServer, add modules with Register,
// serve it, and end it with Shutdown.
type Server struct {
	opts Options

	mu        sync.Mutex
	modules   map[string]*Module
	conns     map[*conn]struct{}
	upgrading int // connections accepted but not yet in conns
	ipQuota   map[string]*quota
	closing   bool
	wg        sync.WaitGroup // connection goroutines
	stopIdle  chan struct{}
	idleOnce  sync.Once // the idle loop starts with the first connection

	feed feed // changes of collections, for watch tasks
}

// NewServer returns a server with the core session module and the user
// module registered.
func NewServer(opts Options) *Server {
	opts.setDefaults()
	s := &Server{
		opts: opts, modules: map[string]*Module{}, conns: map[*conn]struct{}{},
		ipQuota: map[string]*quota{}, stopIdle: make(chan struct{}),
	}
	s.feed.subs = map[string]map[*watcher]struct{}{}
	_ = s.Register(s.sessionModule())
	_ = s.Register(s.userModule())
	return s
}

// Options returns the options in effect (defaults filled in).
func (s *Server) Options() Options { return s.opts }

// Store returns the server's store.
func (s *Server) Store() Store { return s.opts.Store }

func (s *Server) now() time.Time { return s.opts.Now() }

// ErrModuleExists is returned by Register for a module name in use.
var ErrModuleExists = errors.New("limpwire: module already registered")

// Register adds m; a module of the same name is an error.
func (s *Server) Register(m *Module) error {
	if m.Name == "" || m.Name != strings.ToLower(m.Name) || strings.Contains(m.Name, "/") {
		return fmt.Errorf("limpwire: bad module name %q", m.Name)
	}
	for name, meth := range m.Methods {
		if name != strings.ToLower(name) || (meth.Handle == nil) == (meth.Watch == nil) {
			return fmt.Errorf("limpwire: method %s/%s needs a lower-case name and one of Handle or Watch", m.Name, name)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.modules[m.Name]; ok {
		return fmt.Errorf("%w: %s", ErrModuleExists, m.Name)
	}
	s.modules[m.Name] = m
	return nil
}

func (s *Server) module(name string) *Module {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.modules[name]
}

// ServeHTTP serves the WebSocket endpoint at /ws (and /ws/{realm} in
// realm mode), and 6.0's welcome message at /.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	realm, isRealm := strings.CutPrefix(path, "/ws/")
	switch {
	case path == "" && r.Method == http.MethodGet:
		writeJSON(w, 200, `{"status":200,"msg":"Welcome to LIMP!"}`)
		return
	case path == "/ws" && s.opts.Realms == nil, isRealm && s.opts.Realms != nil && realm != "" && !strings.Contains(realm, "/"):
	default:
		writeJSON(w, 404, `{"status":404,"msg":"404 NOT FOUND"}`)
		return
	}
	if !wsconn.IsUpgrade(r) {
		writeJSON(w, 400, `{"status":400,"msg":"Expected a WebSocket upgrade."}`)
		return
	}
	s.mu.Lock()
	closing := s.closing
	full := s.opts.MaxConnections > 0 && s.upgrading+len(s.conns) >= s.opts.MaxConnections
	if !closing && !full {
		s.wg.Add(1)
		s.upgrading++
	}
	s.mu.Unlock()
	switch {
	case closing:
		writeJSON(w, 503, `{"status":503,"msg":"Server is shutting down."}`)
		return
	case full:
		writeJSON(w, 503, `{"status":503,"msg":"Too many connections."}`)
		return
	}
	registered := false
	defer func() {
		s.mu.Lock()
		if !registered {
			s.upgrading--
		}
		s.mu.Unlock()
	}()
	defer s.wg.Done()
	ws, err := wsconn.Upgrade(w, r, wsconn.UpgradeOptions{ReadLimit: s.opts.MaxFrameSize})
	if err != nil {
		return
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	c := newConn(s, ws, ip, r.Header.Get("Origin"), r.UserAgent())
	if isRealm && !containsString(s.opts.Realms, realm) {
		c.send(ErrorReply(ErrConnClosed, "", false))
		c.close(wsconn.StatusNormalClosure)
		return
	}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.upgrading--
	registered = true
	s.mu.Unlock()
	if s.opts.ConnTimeout > 0 && s.opts.IdleCheck > 0 {
		s.idleOnce.Do(func() { go s.idleLoop() })
	}
	c.serve()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func containsString(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// Shutdown stops reading new calls on every connection, lets the calls
// already running finish and send their replies, closes the connections
// (WebSocket code 1001) and returns; or, when ctx ends first, closes
// everything at once and returns ctx's error. New connections are
// refused from the start. Watch tasks end. The store is not closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		close(s.stopIdle)
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.drain()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.ws.CloseNow()
		}
		s.mu.Unlock()
		<-done
		return ctx.Err()
	}
}

// idleLoop closes connections idle for longer than ConnTimeout.
func (s *Server) idleLoop() {
	t := time.NewTicker(s.opts.IdleCheck)
	defer t.Stop()
	for {
		select {
		case <-s.stopIdle:
			return
		case <-t.C:
		}
		now := s.now()
		s.mu.Lock()
		var idle []*conn
		for c := range s.conns {
			if now.Sub(c.lastCall()) > s.opts.ConnTimeout {
				idle = append(idle, c)
			}
		}
		s.mu.Unlock()
		for _, c := range idle {
			go c.close(wsconn.StatusNormalClosure)
		}
	}
}

// quota is a fixed-window message counter.
type quota struct {
	start time.Time
	n     int
}

// hit counts one message and reports whether it exceeds limit: a
// window admits limit-1 messages, as 6.0's counter does.
func (q *quota) hit(now time.Time, window time.Duration, limit int) bool {
	if limit < 0 {
		return false
	}
	if q.start.IsZero() || now.Sub(q.start) >= window {
		q.start, q.n = now, 0
	}
	q.n++
	return q.n >= limit
}

func (s *Server) ipHit(ip string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.ipQuota[ip]
	if q == nil {
		// Forget windows that ended, so the map stays bounded by the
		// addresses active in one window.
		if len(s.ipQuota) > 4096 {
			for k, v := range s.ipQuota {
				if now.Sub(v.start) >= s.opts.QuotaWindow {
					delete(s.ipQuota, k)
				}
			}
		}
		q = &quota{}
		s.ipQuota[ip] = q
	}
	return q.hit(now, s.opts.QuotaWindow, s.opts.QuotaIP)
}

// ShutdownTimeout bounds the drain Serve allows when its context ends.
const ShutdownTimeout = 10 * time.Second

// Serve serves s on ln until ctx ends, then shuts down gracefully: the
// listener closes, calls in flight finish (for at most ShutdownTimeout)
// and connections close with 1001. It returns nil after a shutdown
// caused by ctx, or the error that stopped the listener.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := s.Shutdown(sctx); err == nil {
		err = serr
	}
	<-errc
	return err
}
