package limpwire

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
)

// ClientOptions configures Dial. The zero value talks to a 6.0 server
// that accepts any app, as the Angular SDK does by default.
type ClientOptions struct {
	// App is the app ID conn/verify sends.
	App string

	// Header holds extra handshake headers; browsers send Origin, which
	// web client apps are checked against.
	Header http.Header

	// AnonToken is the server's anonymous token; empty means AnonToken.
	AnonToken string

	// HashLevel is the auth hash level (5.6, the SDK's default, unless
	// set to HashLevel50).
	HashLevel HashLevel

	// Heartbeat is the heart/beat period once verified; zero means 30 s
	// (the SDK's), negative disables it.
	Heartbeat time.Duration

	// ChunkSize is the upload chunk in bytes; zero means 512000.
	ChunkSize int

	// Reconnect, when set, redials after the connection drops (with
	// ReconnectDelay between attempts, 1 s when zero) and restores the
	// session by session/reauth; calls made meanwhile wait for it. A
	// session the server refuses (expired, signed out) leaves the client
	// anonymous: Session returns nil. Calls in flight when it dropped
	// fail with ErrDisconnected; watch calls end (their Replies close).
	Reconnect      bool
	ReconnectDelay time.Duration

	// Session, when set (ID and Token of a session cached from an
	// earlier connection, as the Angular SDK keeps them in cookies), is
	// restored by Dial with session/reauth. A session the server refuses
	// leaves the client anonymous (Session returns nil); Dial fails only
	// when the reauth gets no answer.
	Session *Session

	// ReadLimit bounds one server message; zero means 16 MiB.
	ReadLimit int64

	// Now is the clock for iat and exp; nil means time.Now.
	Now func() time.Time
}

// State is the connection state a client reports on States.
type State int

// Connection states.
const (
	StateConnecting   State = iota // dialing, greeting, verifying
	StateReady                     // verified, calls can be made
	StateDisconnected              // dropped; reconnecting when enabled
	StateClosed                    // Close was called, or no reconnect
)

func (s State) String() string {
	return [...]string{"connecting", "ready", "disconnected", "closed"}[s]
}

// Errors of the client.
var (
	ErrDisconnected = errors.New("limpwire: connection lost")
	ErrClientClosed = errors.New("limpwire: client closed")
	// ErrGreeting: the server's first message was neither
	// CORE_CONN_READY nor CORE_CONN_OK.
	ErrGreeting = errors.New("limpwire: unexpected greeting")
	// ErrNoSession: Reauth or Signout without a session.
	ErrNoSession = errors.New("limpwire: no session")
	// ErrWatchBehind: a watch call's reader left 256 replies unread, so
	// the client ended the watch (WatchCall.Err) rather than stall the
	// other calls of the connection.
	ErrWatchBehind = errors.New("limpwire: watch reader fell behind")
)

// Client is the Go counterpart of the Angular SDK: one WebSocket to a LIMP
// server, many calls in flight on it. It is safe for concurrent use.
type Client struct {
	url  string
	opts ClientOptions

	// gate orders key changes: calls sign under RLock, auth, reauth and
	// signout hold Lock until their reply switched the key, as the SDK's
	// awaitAuth does.
	gate sync.RWMutex

	mu       sync.Mutex
	ws       *wsconn.Conn
	gen      int // connection generation, bumped by every (re)dial
	pending  map[string]*pending
	key      *Key
	anonKey  *Key
	session  *Session
	closed   bool
	ready    chan struct{} // closed while a verified connection is up
	states   chan State
	done     chan struct{}
	loopDone chan struct{}
}

type pending struct {
	ch    chan *Reply
	watch bool
	gen   int

	mu     sync.Mutex
	closed bool
	err    error // why a watch ended early (ErrWatchBehind)
}

// clientWatchBuffer is how many replies a watch call holds for its reader; one
// more ends the watch with ErrWatchBehind rather than stalling the
// connection's other calls.
const clientWatchBuffer = 256

func newPending(watch bool, gen int) *pending {
	n := 1
	if watch {
		n = clientWatchBuffer
	}
	return &pending{ch: make(chan *Reply, n), watch: watch, gen: gen}
}

// deliver hands r to the caller without blocking the read loop; false
// means the buffer is full (a watch whose reader fell clientWatchBuffer behind).
func (p *pending) deliver(r *Reply) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return true
	}
	select {
	case p.ch <- r:
		return true
	default:
		return false
	}
}

// close ends the call's reply channel; safe to call more than once.
func (p *pending) close() { p.fail(nil) }

// fail closes the reply channel, recording err as the reason.
func (p *pending) fail(err error) {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		p.err = err
		close(p.ch)
	}
	p.mu.Unlock()
}

// Dial connects to url (ws://host:port/ws), waits for the greeting and
// verifies the connection with opts.App. ctx bounds the whole of it.
func Dial(ctx context.Context, url string, opts ClientOptions) (*Client, error) {
	if opts.AnonToken == "" {
		opts.AnonToken = AnonToken
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = 30 * time.Second
	}
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	if opts.ReconnectDelay <= 0 {
		opts.ReconnectDelay = time.Second
	}
	if opts.ReadLimit <= 0 {
		opts.ReadLimit = 16 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Client{
		url: url, opts: opts, pending: map[string]*pending{},
		anonKey: NewKey(opts.AnonToken), ready: make(chan struct{}),
		states: make(chan State, 16), done: make(chan struct{}), loopDone: make(chan struct{}),
	}
	c.key = c.anonKey
	c.state(StateConnecting)
	ws, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	go c.loop(ws)
	if s := opts.Session; s != nil && s.ID != "" && s.Token != "" {
		_, err := c.Reauth(ctx, s.ID, s.Token)
		var le *Error
		if err != nil && !errors.As(err, &le) {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// States reports state changes. It is buffered; a state is dropped when
// the reader falls 16 behind.
func (c *Client) States() <-chan State { return c.states }

func (c *Client) state(s State) {
	select {
	case c.states <- s:
	default:
	}
}

// Session returns the current session (nil when anonymous). Cache its ID
// and Token to Reauth on another connection.
func (c *Client) Session() *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session
}

// connect dials, reads the greeting and verifies; on success the
// connection is the client's and ready is closed.
func (c *Client) connect(ctx context.Context) (*wsconn.Conn, error) {
	ws, err := wsconn.Dial(ctx, c.url, wsconn.DialOptions{Header: c.opts.Header, ReadLimit: c.opts.ReadLimit})
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*wsconn.Conn, error) {
		ws.CloseNow()
		return nil, err
	}
	r, err := readReply(ctx, ws)
	if err != nil {
		return fail(err)
	}
	switch r.Code() {
	case CodeConnOK: // 5.x: no verify step
	case CodeConnReady:
		id := newCallID()
		b, err := AppendSignedFrame(nil, c.anonKey, c.newCall("conn/verify", nil, map[string]any{"app": c.opts.App}, id, AnonSID, c.opts.AnonToken))
		if err != nil {
			return fail(err)
		}
		if err := ws.WriteText(ctx, b); err != nil {
			return fail(err)
		}
		r, err := readReply(ctx, ws)
		if err != nil {
			return fail(err)
		}
		if err := r.Err(); err != nil {
			return fail(err)
		}
		if r.Code() != CodeConnOK {
			return fail(fmt.Errorf("%w: verify answered %q", ErrGreeting, r.Code()))
		}
	default:
		if err := r.Err(); err != nil {
			return fail(err)
		}
		return fail(fmt.Errorf("%w: %q", ErrGreeting, r.Code()))
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return fail(ErrClientClosed)
	}
	c.ws = ws
	c.gen++
	c.key = c.anonKey
	close(c.ready)
	c.mu.Unlock()
	c.state(StateReady)
	return ws, nil
}

func readReply(ctx context.Context, ws *wsconn.Conn) (*Reply, error) {
	for {
		op, b, err := ws.ReadMessage(ctx, nil)
		if err != nil {
			return nil, err
		}
		if op == wsconn.Text {
			return ParseReply(b)
		}
	}
}

// loop reads replies, runs the heartbeat, and reconnects.
func (c *Client) loop(ws *wsconn.Conn) {
	defer close(c.loopDone)
	for {
		hbStop := make(chan struct{})
		if c.opts.Heartbeat > 0 {
			go c.heartbeat(hbStop)
		}
		c.read(ws)
		close(hbStop)
		c.mu.Lock()
		c.ready = make(chan struct{})
		gen := c.gen
		for id, p := range c.pending {
			if p.gen == gen {
				p.close()
				delete(c.pending, id)
			}
		}
		closed := c.closed
		sess := c.session
		c.mu.Unlock()
		if closed || !c.opts.Reconnect {
			c.mu.Lock()
			c.closed = true
			c.mu.Unlock()
			c.state(StateClosed)
			return
		}
		c.state(StateDisconnected)
		for {
			select {
			case <-c.done:
				c.state(StateClosed)
				return
			case <-time.After(c.opts.ReconnectDelay):
			}
			c.state(StateConnecting)
			// Calls wait at the gate until the session is restored.
			c.gate.Lock()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			go func() { // Close ends a dial in progress
				select {
				case <-c.done:
					cancel()
				case <-ctx.Done():
				}
			}()
			nws, err := c.connect(ctx)
			if err != nil {
				cancel()
				c.gate.Unlock()
				continue
			}
			go func() {
				defer c.gate.Unlock()
				defer cancel()
				if sess == nil {
					return
				}
				c.mu.Lock()
				c.session = nil
				c.mu.Unlock()
				// A refused session leaves the client anonymous; a dropped
				// connection shows up on the read side.
				_, _ = c.callLocked(ctx, "session/reauth", []any{map[string]any{"_id": sess.ID, "hash": ReauthHash(sess.Token)}}, nil)
			}()
			ws = nws
			break
		}
	}
}

func (c *Client) read(ws *wsconn.Conn) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.done:
			ws.CloseNow()
		case <-ctx.Done():
		}
	}()
	var buf []byte
	for {
		op, b, err := ws.ReadMessage(ctx, buf[:0])
		if err != nil {
			ws.CloseNow()
			return
		}
		if cap(b) <= 64<<10 {
			buf = b // ParseReply copies what it keeps
		}
		if op != wsconn.Text {
			continue
		}
		r, err := ParseReply(b)
		if err != nil {
			continue
		}
		id := r.CallID()
		c.mu.Lock()
		p := c.pending[id]
		// A call ends with its reply; a watch with a reply that is not
		// 200 (refused, or ended by the server).
		ended := p != nil && (!p.watch || r.Status != 200)
		if ended {
			delete(c.pending, id)
		}
		c.mu.Unlock()
		if p == nil {
			continue
		}
		if p.deliver(r) {
			if ended && p.watch {
				p.close()
			}
		} else {
			// A watch nobody reads: end it rather than stall every
			// other call on this connection, and ask the server to
			// stop it.
			c.forget(id)
			p.fail(ErrWatchBehind)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_, _ = c.Call(ctx, "watch/delete", []any{map[string]any{"watch": id}}, nil)
			}()
		}
	}
}

func (c *Client) heartbeat(stop chan struct{}) {
	t := time.NewTicker(c.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), c.opts.Heartbeat)
			_, _ = c.Call(ctx, "heart/beat", nil, nil)
			cancel()
		}
	}
}

// Close ends the connection (sending conn/close first) and stops
// reconnecting. Pending calls fail with ErrDisconnected.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.loopDone
		return nil
	}
	c.closed = true
	ws := c.ws
	key, sess := c.key, c.session
	c.mu.Unlock()
	if ws != nil {
		sid, tok := AnonSID, c.opts.AnonToken
		if sess != nil {
			sid, tok = sess.ID, sess.Token
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if b, err := AppendSignedFrame(nil, key, c.newCall("conn/close", nil, nil, newCallID(), sid, tok)); err == nil {
			_ = ws.WriteText(ctx, b)
		}
		_ = ws.Close(ctx, wsconn.StatusNormalClosure, "")
		cancel()
	}
	close(c.done)
	<-c.loopDone
	return nil
}

// newCallID returns an id like the SDK's Math.random().toString(36)
// fragments: 6 base-36 characters.
func newCallID() string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b [6]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = digits[int(b[i])%36]
	}
	return string(b[:])
}

func (c *Client) newCall(endpoint string, query []any, doc map[string]any, id, sid, token string) *Call {
	now := c.opts.Now().Unix()
	f := false
	if query == nil {
		query = []any{}
	}
	if doc == nil {
		doc = map[string]any{}
	}
	return &Call{
		Endpoint: endpoint, Doc: doc, SID: sid, Token: token, Query: query,
		AwaitAuth: &f, CallID: id, IssuedAt: now, Expires: now + int64(TokenLifetime/time.Second),
	}
}

// errNotReady: the connection dropped between acquire and start.
var errNotReady = errors.New("limpwire: connection not ready")

// acquire waits until a verified connection is up and takes the gate
// (shared for calls, exclusive for key changes).
func (c *Client) acquire(ctx context.Context, exclusive bool) (release func(), err error) {
	for {
		c.mu.Lock()
		closed, ready := c.closed, c.ready
		c.mu.Unlock()
		if closed {
			return nil, ErrClientClosed
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			return nil, ErrClientClosed
		}
		release = c.gate.RUnlock
		if exclusive {
			c.gate.Lock()
			release = c.gate.Unlock
		} else {
			c.gate.RLock()
		}
		c.mu.Lock()
		same := c.ready == ready
		c.mu.Unlock()
		if same {
			return release, nil
		}
		release()
	}
}

// start signs and sends one call and registers its reply channel. The
// caller holds the gate.
func (c *Client) start(ctx context.Context, endpoint string, query []any, doc map[string]any, watch bool) (string, *pending, error) {
	c.mu.Lock()
	select {
	case <-c.ready:
	default:
		c.mu.Unlock()
		return "", nil, errNotReady
	}
	id := newCallID()
	for c.pending[id] != nil {
		id = newCallID()
	}
	sid, tok := AnonSID, c.opts.AnonToken
	if c.session != nil {
		sid, tok = c.session.ID, c.session.Token
	}
	key, ws := c.key, c.ws
	p := newPending(watch, c.gen)
	c.pending[id] = p
	c.mu.Unlock()
	b, err := AppendSignedFrame(nil, key, c.newCall(endpoint, query, doc, id, sid, tok))
	if err == nil {
		err = ws.WriteText(ctx, b)
	}
	if err != nil {
		c.forget(id)
		return "", nil, err
	}
	return id, p, nil
}

// send acquires the gate and starts a call, retrying when the connection
// dropped in between.
func (c *Client) send(ctx context.Context, exclusive bool, endpoint string, query []any, doc map[string]any, watch bool) (string, *pending, func(), error) {
	for {
		release, err := c.acquire(ctx, exclusive)
		if err != nil {
			return "", nil, nil, err
		}
		id, p, err := c.start(ctx, endpoint, query, doc, watch)
		if err == errNotReady {
			release()
			continue
		}
		if err != nil {
			release()
			return "", nil, nil, err
		}
		return id, p, release, nil
	}
}

func (c *Client) forget(id string) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// Call sends one call and waits for its reply. A reply with another
// status than 200 is returned too, with its *Error. query is a LIMP query
// as JSON decodes it ([]any of map[string]any, nested []any for OR), doc
// a JSON object; nil sends [] and {}.
func (c *Client) Call(ctx context.Context, endpoint string, query []any, doc map[string]any) (*Reply, error) {
	id, p, release, err := c.send(ctx, false, endpoint, query, doc, false)
	if err != nil {
		return nil, err
	}
	release()
	return c.wait(ctx, id, p)
}

func (c *Client) wait(ctx context.Context, id string, p *pending) (*Reply, error) {
	select {
	case r, ok := <-p.ch:
		if !ok {
			return nil, ErrDisconnected
		}
		return r, r.Err()
	case <-ctx.Done():
		c.forget(id)
		return nil, ctx.Err()
	}
}

// callGated is Call for auth, reauth and signout: no other call signs
// until the reply switched the key.
func (c *Client) callGated(ctx context.Context, endpoint string, query []any, doc map[string]any) (*Reply, error) {
	id, p, release, err := c.send(ctx, true, endpoint, query, doc, false)
	if err != nil {
		return nil, err
	}
	defer release()
	return c.finish(ctx, id, p)
}

// callLocked is callGated with the gate held by the caller.
func (c *Client) callLocked(ctx context.Context, endpoint string, query []any, doc map[string]any) (*Reply, error) {
	id, p, err := c.start(ctx, endpoint, query, doc, false)
	if err != nil {
		return nil, err
	}
	return c.finish(ctx, id, p)
}

// finish waits for a key-changing call's reply and adopts its session.
func (c *Client) finish(ctx context.Context, id string, p *pending) (*Reply, error) {
	r, err := c.wait(ctx, id, p)
	if err != nil {
		return r, err
	}
	c.adopt(r)
	return r, nil
}

// adopt switches to the session a reply carries.
func (c *Client) adopt(r *Reply) *Session {
	m, ok := r.Args["session"].(map[string]any)
	if !ok {
		return nil
	}
	id, _ := m["_id"].(string)
	c.mu.Lock()
	defer c.mu.Unlock()
	if id == AnonSID || id == "" {
		c.session, c.key = nil, c.anonKey
		return nil
	}
	tok, _ := m["token"].(string)
	s := &Session{ID: id, Token: tok}
	s.User, _ = m["user"].(map[string]any)
	for _, g := range asList(m["groups"]) {
		if g, ok := g.(string); ok {
			s.Groups = append(s.Groups, g)
		}
	}
	if e, ok := m["expiry"].(string); ok {
		s.Expiry, _ = time.Parse("2006-01-02T15:04:05.999999", e)
	}
	c.session, c.key = s, NewKey(tok)
	return s
}

// Auth signs in with one auth attribute ("email", "username", "phone")
// and its value, hashing the password at the client's HashLevel. groups,
// when given, restrict the sign-in to users of those groups.
func (c *Client) Auth(ctx context.Context, attr, value, password string, groups ...string) (*Session, error) {
	doc := map[string]any{attr: value, "hash": AuthHash(c.opts.HashLevel, attr, value, password, c.opts.AnonToken)}
	if len(groups) > 0 {
		doc["groups"] = asAnyList(groups)
	}
	r, err := c.callGated(ctx, "session/auth", nil, doc)
	if err != nil {
		return nil, err
	}
	return c.sessionOf(r)
}

// Reauth restores a session cached from an earlier connection.
func (c *Client) Reauth(ctx context.Context, sid, token string) (*Session, error) {
	if sid == "" || token == "" {
		return nil, ErrNoSession
	}
	r, err := c.callGated(ctx, "session/reauth", []any{map[string]any{"_id": sid, "hash": ReauthHash(token)}}, nil)
	if err != nil {
		return nil, err
	}
	return c.sessionOf(r)
}

func (c *Client) sessionOf(r *Reply) (*Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == nil {
		return nil, fmt.Errorf("%w: %s has no session", ErrMalformedReply, r.Msg)
	}
	return c.session, nil
}

// Signout ends the current session; the client is anonymous again.
func (c *Client) Signout(ctx context.Context) error {
	s := c.Session()
	if s == nil {
		return ErrNoSession
	}
	_, err := c.callGated(ctx, "session/signout", []any{map[string]any{"_id": s.ID}}, nil)
	return err
}

// WatchCall is a call whose replies keep arriving (a watch method).
type WatchCall struct {
	c  *Client
	id string
	ch chan *Reply
	p  *pending
}

// Watch starts a watch call. Its first reply ("Created watch task.")
// and every later one arrive on Replies, which is closed when the
// connection ends, Stop returns, or after a reply that is not 200 (the
// server refused or ended the watch). Replies holds 256 replies; a reader
// that falls further behind has its watch ended (Replies closes, Err
// returns ErrWatchBehind), so it never stalls the connection's other
// calls.
func (c *Client) Watch(ctx context.Context, endpoint string, query []any, doc map[string]any) (*WatchCall, error) {
	id, p, release, err := c.send(ctx, false, endpoint, query, doc, true)
	if err != nil {
		return nil, err
	}
	release()
	return &WatchCall{c: c, id: id, ch: p.ch, p: p}, nil
}

// Replies returns the watch's replies.
func (w *WatchCall) Replies() <-chan *Reply { return w.ch }

// Err returns why Replies closed early: ErrWatchBehind when the reader
// fell behind; nil otherwise (Stop, or the connection ended).
func (w *WatchCall) Err() error {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.err
}

// ID returns the watch id (its call_id).
func (w *WatchCall) ID() string { return w.id }

// Stop deletes the watch task on the server (watch/delete) and closes
// Replies.
func (w *WatchCall) Stop(ctx context.Context) error {
	_, err := w.c.Call(ctx, "watch/delete", []any{map[string]any{"watch": w.id}}, nil)
	w.c.mu.Lock()
	p := w.c.pending[w.id]
	delete(w.c.pending, w.id)
	w.c.mu.Unlock()
	if p != nil {
		p.close()
	}
	return err
}

// Go sends a call and returns at once: its reply arrives on the channel,
// which is closed without a value when the connection drops or ctx ends
// first.
func (c *Client) Go(ctx context.Context, endpoint string, query []any, doc map[string]any) (<-chan *Reply, error) {
	id, p, release, err := c.send(ctx, false, endpoint, query, doc, false)
	if err != nil {
		return nil, err
	}
	release()
	stop := context.AfterFunc(ctx, func() {
		c.forget(id)
		p.close()
	})
	out := make(chan *Reply, 1)
	go func() {
		defer stop()
		defer close(out)
		if r, ok := <-p.ch; ok {
			out <- r
		}
	}()
	return out, nil
}
