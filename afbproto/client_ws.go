package afbproto

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/appwire/appwire/internal/wsconn"
)

// firstCallID is where call IDs start; they count down from there, as the
// upstream client library libafbwsc does.
const firstCallID = 999999

// maxPendingLimit keeps MaxPending well below the ID space, so a free ID
// is always found.
const maxPendingLimit = 100000

// WSClient is an x-afb-ws-json1 client: one WebSocket connection to a
// binder carrying any number of concurrent calls, matched to their replies
// by ID, and the events the server pushes.
//
// A WSClient runs one goroutine, the read loop, from Dial until the
// connection ends; Close ends it. All methods are safe for concurrent use.
type WSClient struct {
	conn   *wsconn.Conn
	opts   ClientOptions
	sess   sessionState
	slots  chan struct{}
	events chan EventMsg
	bufs   sync.Pool // *[]byte frames being written

	mu      sync.Mutex
	pending map[string]chan callResult
	nextID  int
	err     error // why the connection ended; nil while it is up
	closing bool

	done     chan struct{} // closed when err is set
	loopDone chan struct{} // closed when the read loop returned

	dropped, late, ignored atomic.Uint64
}

type callResult struct {
	reply *Reply
	err   error
}

// WSStats counts what a WSClient received but could not hand to anyone.
type WSStats struct {
	DroppedEvents uint64 // events that found the event channel full (or delivery disabled)
	LateReplies   uint64 // replies whose call was cancelled, or whose ID is unknown
	IgnoredFrames uint64 // calls sent by the server, which this client does not serve
}

// Dial opens an x-afb-ws-json1 connection to the API root of a binder,
// e.g. "ws://127.0.0.1:1234/api" (http:// works too). The token and uuid
// of opts are presented at the upgrade, in the x-afb-token and x-afb-uuid
// headers. A refused upgrade (401 for a bad token on V1/V6, 404, 412...)
// gives an error wrapping *HTTPError.
func Dial(ctx context.Context, rawURL string, opts ClientOptions) (*WSClient, error) {
	opts = opts.withDefaults()
	if opts.MaxPending > maxPendingLimit {
		opts.MaxPending = maxPendingLimit
	}
	h := opts.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if opts.Token != "" {
		h.Set("X-Afb-Token", opts.Token)
	}
	if opts.UUID != "" {
		h.Set("X-Afb-Uuid", opts.UUID)
	}
	conn, err := wsconn.Dial(ctx, rawURL, wsconn.DialOptions{
		Protocols: []string{Subprotocol},
		Header:    h,
		ReadLimit: opts.MaxMessageSize,
	})
	if err != nil {
		var he *wsconn.HandshakeError
		if errors.As(err, &he) && he.StatusCode != 0 {
			err = &HTTPError{StatusCode: he.StatusCode, Body: he.Body}
		}
		return nil, fmt.Errorf("afbproto: dial %s: %w", rawURL, err)
	}
	c := &WSClient{
		conn:     conn,
		opts:     opts,
		slots:    make(chan struct{}, opts.MaxPending),
		pending:  make(map[string]chan callResult),
		nextID:   firstCallID,
		done:     make(chan struct{}),
		loopDone: make(chan struct{}),
	}
	if opts.EventBuffer > 0 {
		c.events = make(chan EventMsg, opts.EventBuffer)
	} else {
		c.events = make(chan EventMsg)
	}
	c.sess.learn(opts.Token, opts.UUID)
	c.sess.learn("", cookieUUID(conn.HandshakeHeader()))
	go c.readLoop()
	return c, nil
}

// cookieUUID returns the value of a x-afb-uuid-<PORT> cookie set in h.
func cookieUUID(h http.Header) string {
	for _, ck := range (&http.Response{Header: h}).Cookies() {
		if strings.HasPrefix(ck.Name, "x-afb-uuid-") && ck.Value != "" {
			return ck.Value
		}
	}
	return ""
}

// Token returns the current token: ClientOptions.Token until the server
// hands out a refreshed one (4th element of a reply, request.token).
func (c *WSClient) Token() string { t, _ := c.sess.get(); return t }

// UUID returns the session uuid: ClientOptions.UUID, or the one the server
// reported (session cookie of the upgrade, request.uuid of a reply).
func (c *WSClient) UUID() string { _, u := c.sess.get(); return u }

// Events returns the channel of events pushed by the server. It is closed
// when the connection ends. The channel is bounded
// (ClientOptions.EventBuffer): when the consumer falls behind, new events
// are dropped and counted in Stats().DroppedEvents; the read loop, and so
// the replies of calls, never wait for the consumer.
func (c *WSClient) Events() <-chan EventMsg { return c.events }

// Stats returns the counters of frames nobody took.
func (c *WSClient) Stats() WSStats {
	return WSStats{DroppedEvents: c.dropped.Load(), LateReplies: c.late.Load(), IgnoredFrames: c.ignored.Load()}
}

// Done is closed when the connection has ended; Err then says why.
func (c *WSClient) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended (ErrClientClosed after Close, a
// *wsconn close error or I/O error, an error wrapping ErrServerProtocol or
// ErrTooLarge), or nil while it is up.
func (c *WSClient) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Call sends [2,"ID","api/verb",ARGS] and waits for the reply with that
// ID. It returns the reply when its status is success, a *CallError
// holding it otherwise. args is encoded as described for HTTPClient.Call
// (POST case); nil is sent as null. WithToken adds the per-call token
// element.
//
// When ctx ends first, Call returns ctx.Err() at once and frees its slot;
// a reply arriving later is dropped (Stats().LateReplies). When the
// connection drops, Call fails with a *CallError of status "disconnected"
// that wraps ErrDisconnected and the cause.
//
// A reply carrying a refreshed token (4th element or request.token)
// updates Token(); request.uuid updates UUID().
func (c *WSClient) Call(ctx context.Context, api, verb string, args any, opts ...CallOption) (*Reply, error) {
	if err := checkName(api, verb); err != nil {
		return nil, err
	}
	raw, err := encodeArgs(args)
	if err != nil {
		return nil, err
	}
	cfg := applyCallOptions(opts)
	if !validStringBody([]byte(api)) || !validStringBody([]byte(verb)) || !validStringBody([]byte(cfg.token)) {
		return nil, fmt.Errorf("%w: a quote or backslash in the api, verb or token", ErrBadName)
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.done:
		return nil, disconnected(c.Err())
	}
	defer func() { <-c.slots }()

	ch := make(chan callResult, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, disconnected(err)
	}
	id := c.newIDLocked()
	c.pending[id] = ch
	c.mu.Unlock()

	if err := ctx.Err(); err != nil {
		c.forget(id, ch)
		return nil, err
	}
	if err := c.write(id, api, verb, raw, cfg.token); err != nil {
		c.fail(fmt.Errorf("afbproto: write: %w", err))
		c.conn.CloseNow()
	}
	select {
	case res := <-ch:
		return res.reply, res.err
	case <-ctx.Done():
		c.forget(id, ch)
		return nil, ctx.Err()
	}
}

// newIDLocked returns the next free call ID. The caller holds mu.
func (c *WSClient) newIDLocked() string {
	for {
		n := c.nextID
		if c.nextID--; c.nextID <= 0 {
			c.nextID = firstCallID
		}
		id := strconv.Itoa(n)
		if _, used := c.pending[id]; !used {
			return id
		}
	}
}

// forget removes a call that stopped waiting.
func (c *WSClient) forget(id string, ch chan callResult) {
	c.mu.Lock()
	if c.pending[id] == ch {
		delete(c.pending, id)
	}
	c.mu.Unlock()
}

func (c *WSClient) write(id, api, verb string, args []byte, token string) error {
	bp, _ := c.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	frame := AppendCall((*bp)[:0], id, api, verb, args, token)
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.WriteTimeout)
	err := c.conn.WriteText(ctx, frame)
	cancel()
	if cap(frame) <= 64<<10 {
		*bp = frame
		c.bufs.Put(bp)
	}
	return err
}

// fail ends the client with cause, once: pending calls get the
// "disconnected" error and Done is closed. It does not touch the socket.
func (c *WSClient) fail(cause error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = cause
	pend := c.pending
	c.pending = nil
	close(c.done)
	c.mu.Unlock()
	for _, ch := range pend {
		ch <- callResult{err: disconnected(cause)}
	}
}

// Close fails the pending calls (status "disconnected", wrapping
// ErrClientClosed), performs the WebSocket closing handshake with 1000
// (waiting at most ClientOptions.CloseTimeout for the server's answer),
// and returns once the read loop has ended. Calling it again does nothing.
func (c *WSClient) Close() error {
	c.mu.Lock()
	again, ended := c.closing, c.err != nil
	c.closing = true
	c.mu.Unlock()
	if again || ended {
		c.conn.CloseNow()
		<-c.loopDone
		return nil
	}
	c.fail(ErrClientClosed)
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.CloseTimeout)
	defer cancel()
	err := c.conn.Close(ctx, wsconn.StatusNormalClosure, "")
	<-c.loopDone
	if err != nil {
		return fmt.Errorf("afbproto: close: %w", err)
	}
	return nil
}
