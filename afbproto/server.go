package afbproto

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Binder is the reference binder: an http.Handler serving the afb-daemon
// HTTP API under Options.RootAPI and x-afb-ws-json1 WebSocket connections
// at exactly Options.RootAPI. Register APIs with AddAPI; serve it with an
// http.Server on any listener (TCP or unix) or with Serve.
type Binder struct {
	opts    Options
	token   string // initial token of new sessions
	sess    *sessions
	apis    atomic.Pointer[map[string]*apiEntry] // lowercase name -> api; copy on write
	apiMu   sync.Mutex                           // serialises AddAPI
	connsMu sync.Mutex
	connSet map[*wsConn]struct{}
	closed  bool
	wg      sync.WaitGroup // WebSocket connections
}

// NewBinder returns a binder with opts (zero fields take their defaults).
// It fails when the initial token is longer than 36 bytes or the root is
// not an absolute path.
func NewBinder(opts Options) (*Binder, error) {
	opts = opts.withDefaults()
	if !strings.HasPrefix(opts.RootAPI, "/") {
		return nil, fmt.Errorf("afbproto: RootAPI %q does not start with '/'", opts.RootAPI)
	}
	opts.RootAPI = strings.TrimRight(opts.RootAPI, "/")
	if opts.RootAPI == "" {
		return nil, errors.New("afbproto: RootAPI cannot be /")
	}
	b := &Binder{opts: opts, connSet: make(map[*wsConn]struct{})}
	switch opts.Token.kind {
	case 0:
		b.token = newUUID()
	case 1:
		if len(opts.Token.token) > maxTokenLen {
			return nil, fmt.Errorf("afbproto: initial token longer than %d bytes", maxTokenLen)
		}
		b.token = opts.Token.token
	}
	b.sess = newSessions(opts.SessionMax, opts.SessionTimeout, b.token)
	empty := map[string]*apiEntry{}
	b.apis.Store(&empty)
	return b, nil
}

// InitialToken returns the token new sessions start with: the fixed token,
// "" for AnyToken, or the random secret (afb-daemon exports it to its
// children as AFB_TOKEN).
func (b *Binder) InitialToken() string { return b.token }

// Options returns the options in effect, defaults filled in.
func (b *Binder) Options() Options { return b.opts }

// AddAPI registers an API. Names are matched case-insensitively, so "Hello"
// and "hello" collide. It is safe to call while serving.
func (b *Binder) AddAPI(api API) error {
	e, err := newAPIEntry(api)
	if err != nil {
		return err
	}
	b.apiMu.Lock()
	defer b.apiMu.Unlock()
	old := *b.apis.Load()
	key := strings.ToLower(api.Name)
	if old[key] != nil {
		return fmt.Errorf("%w: %q", ErrAPIExists, api.Name)
	}
	m := make(map[string]*apiEntry, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[key] = e
	b.apis.Store(&m)
	return nil
}

// APIs returns the registered APIs with their verbs (handlers included).
func (b *Binder) APIs() []API {
	var out []API
	for _, e := range *b.apis.Load() {
		a := API{Name: e.name, Info: e.info}
		for _, v := range e.order {
			a.Verbs = append(a.Verbs, *v)
		}
		out = append(out, a)
	}
	return out
}

// ServeHTTP implements http.Handler (spec §1 and §4.1).
func (b *Binder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	root := b.opts.RootAPI
	path := r.URL.Path
	if len(path) < len(root) || !strings.EqualFold(path[:len(root)], root) ||
		len(path) > len(root) && path[len(root)] != '/' {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rest := path[len(root):]
	if rest == "" {
		b.serveWebSocket(w, r)
		return
	}
	api, verb := splitAPIVerb(rest, b.opts.Dialect == DialectV1)
	if api == "" || verb == "" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	b.serveCall(w, r, api, verb)
}

// splitAPIVerb splits "/api//verb..." (spec §1.1): leading and repeated
// slashes are skipped; the verb is the rest (V6) or the next segment (V1).
func splitAPIVerb(rest string, v1 bool) (api, verb string) {
	rest = strings.TrimLeft(rest, "/")
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return rest, ""
	}
	api, verb = rest[:i], strings.TrimLeft(rest[i:], "/")
	if v1 {
		if j := strings.IndexByte(verb, '/'); j >= 0 {
			verb = verb[:j]
		}
	}
	return api, verb
}

// call is what both transports hand to dispatch.
type call struct {
	api, verb string // as requested
	args      []byte
	sess      *session
	tokenOK   bool
	conn      *wsConn
	hvals     *httpValues                    // HTTP calls: the form and query values
	finish    func(rep *Reply, closing bool) // closing: the session is being closed
}

// tokenValid is the token check of spec §3.4 for a request of session s
// carrying tok: V1/V6 compare with the session token (an empty session
// token accepts anything); AGL-final and libafb ask Options.TokenValidator.
// An expired session fails in every dialect.
func (b *Binder) tokenValid(s *session, tok string) bool {
	now := time.Now()
	if !b.opts.Dialect.tokenIsPermission() {
		return s.checkToken(tok, now)
	}
	if s.expired(now) {
		return false
	}
	return b.opts.TokenValidator == nil || b.opts.TokenValidator(tok)
}

// dispatch runs the framework checks of spec §3.4 and the verb. It returns
// at once; finish is called exactly once, possibly from another goroutine.
func (b *Binder) dispatch(ctx context.Context, c call) {
	e := (*b.apis.Load())[strings.ToLower(c.api)]
	if e == nil {
		c.finish(b.replyUnknownAPI(c.api, c.verb), false)
		return
	}
	v := e.verbs[strings.ToLower(c.verb)]
	if v == nil {
		c.finish(b.replyUnknownVerb(c.api, c.verb), false)
		return
	}
	d := b.opts.Dialect
	r := &Request{b: b, api: e.name, verb: v.Name, args: c.args, sess: c.sess, conn: c.conn, hvals: c.hvals, finishFn: c.finish}
	r.validated = c.tokenOK
	if v.Session != 0 {
		if !c.tokenOK {
			// V6 (and AGL-final) mark the context closing, but the LOA
			// reset is refused for an unvalidated context: only the api's
			// data goes (the spec's observed sequence shows the LOA
			// surviving). V1 destroys the session at the end of the
			// request.
			c.sess.mu.Lock()
			delete(c.sess.data, e.name)
			c.sess.mu.Unlock()
			c.finish(b.replyBadToken(), true)
			if d == DialectV1 {
				b.sess.destroy(c.sess)
			}
			return
		}
		c.sess.mu.Lock()
		loa := c.sess.loa
		if loa < v.Session.LOA() {
			c.sess.mu.Unlock()
			c.finish(b.replyBadLOA(), false)
			return
		}
		// AGL-final and libafb: tokens belong to the client, a refresh
		// has nothing to hand out and changes nothing.
		if v.Session&SessionRefresh != 0 && d.sendsBack() {
			c.sess.token = newUUID()
			c.sess.expires = time.Now().Add(b.opts.SessionTimeout)
			r.newToken = c.sess.token
		}
		c.sess.mu.Unlock()
		r.closing = v.Session&SessionClose != 0
	}
	// The context ends with the answer; the timer gives the answer
	// "aborted" (a deadline on the context would race with it).
	r.ctx, r.cancelCtx = context.WithCancel(ctx)
	timer := time.AfterFunc(b.opts.APITimeout, func() {
		r.finish(&Reply{Status: StatusAborted, Info: "timeout"})
	})
	go b.run(r, v.Handler, timer)
}

// run calls the handler, turning a panic or a missing reply into an error
// reply.
func (b *Binder) run(r *Request, h Handler, timer *time.Timer) {
	defer func() {
		if p := recover(); p != nil {
			b.opts.Logger.Error("afbproto: binding panicked", "api", r.api, "verb", r.verb, "panic", p)
			r.finish(&Reply{Status: StatusInternalError, Info: "the binding panicked"})
		}
		if r.state.Load() == reqPending {
			status := StatusInternalError
			if d := b.opts.Dialect; d == DialectAGLFinal || d == DialectLibafb {
				status = StatusNotReplied
			}
			r.finish(&Reply{Status: status, Info: "the verb did not reply"})
		}
		if r.state.Load() == reqReplied {
			timer.Stop()
		} else {
			context.AfterFunc(r.ctx, func() { timer.Stop() })
		}
	}()
	h(r)
}

// conns returns the live WebSocket connections.
func (b *Binder) conns() []*wsConn {
	b.connsMu.Lock()
	defer b.connsMu.Unlock()
	out := make([]*wsConn, 0, len(b.connSet))
	for c := range b.connSet {
		out = append(out, c)
	}
	return out
}

// Shutdown closes every WebSocket connection with 1001 (going away),
// refuses new ones, and waits for them to end or ctx to be done. It does
// not stop the http.Server; do that first (http.Server.Shutdown does not
// wait for hijacked connections, which is why this exists).
func (b *Binder) Shutdown(ctx context.Context) error {
	b.connsMu.Lock()
	b.closed = true
	b.connsMu.Unlock()
	for _, c := range b.conns() {
		go c.shutdown(ctx, 1001, "server shutdown")
	}
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, c := range b.conns() {
			c.ws.CloseNow()
		}
		return ctx.Err()
	}
}

// Serve serves b on ln until ctx is done, then shuts down gracefully (at
// most 5 s): the HTTP server first, then the WebSocket connections. It
// returns nil after a shutdown caused by ctx, or the error that stopped
// the server.
func (b *Binder) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           b,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if werr := b.Shutdown(sctx); err == nil {
		err = werr
	}
	<-errc
	return err
}
