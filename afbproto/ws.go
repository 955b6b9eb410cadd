package afbproto

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
)

// writeTimeout bounds the write of one message to a WebSocket peer.
const writeTimeout = 10 * time.Second

// serveWebSocket handles a request for exactly RootAPI (spec §4.1): the
// token check comes first (401; V1/V6 only), then the upgrade headers (404
// when it is not an upgrade, 426 for a version other than 13, 412 for an
// unknown subprotocol).
func (b *Binder) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	var a httpArgs
	a.parseQuery(r.URL.RawQuery)
	in := b.readInputs(r, &a)
	s, created, ok := b.session(w, in)
	if !ok {
		return
	}
	h := w.Header()
	d := b.opts.Dialect
	// V1/V6 set the cookie of a session the upgrade created only on the
	// 401 (the 101, 404, 412 and 426 go without); AGL-final and libafb on
	// every answer.
	if d.tokenIsPermission() {
		b.setCookie(h, r, s.uuid)
	}
	// AGL-final and libafb check nothing here: every call is checked.
	if !d.tokenIsPermission() && !s.checkToken(in.token, time.Now()) {
		if created {
			b.setCookie(h, r, s.uuid)
		}
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if !wsconn.IsUpgrade(r) {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		h.Set("Sec-WebSocket-Version", "13")
		w.WriteHeader(http.StatusUpgradeRequired)
		return
	}
	if offered := wsconn.Protocols(r.Header); len(offered) > 0 && !containsFold(offered, Subprotocol) {
		w.WriteHeader(http.StatusPreconditionFailed)
		return
	}
	b.connsMu.Lock()
	closed := b.closed
	if !closed {
		b.wg.Add(1)
	}
	b.connsMu.Unlock()
	if closed {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	defer b.wg.Done()
	extra := http.Header{}
	if c := h["Set-Cookie"]; len(c) > 0 {
		extra["Set-Cookie"] = c
	}
	ws, err := wsconn.Upgrade(w, r, wsconn.UpgradeOptions{
		Protocol: Subprotocol, Header: extra, ReadLimit: b.opts.MaxMessageSize,
		AllowUnmasked: !b.opts.StrictMasking && !d.tokenIsPermission(),
	})
	if err != nil {
		return
	}
	c := newWSConn(b, ws, s)
	c.sendUUID.Store(created)
	c.token = in.token
	b.connsMu.Lock()
	if b.closed { // Shutdown began during the upgrade
		b.connsMu.Unlock()
		c.shutdown(r.Context(), 1001, "server shutdown")
		return
	}
	b.connSet[c] = struct{}{}
	b.connsMu.Unlock()
	c.serve()
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// wsConn is one x-afb-ws-json1 connection: a reader (the upgrading
// handler's goroutine), a writer goroutine fed by a bounded queue, and one
// goroutine per running call.
type wsConn struct {
	b        *Binder
	ws       *wsconn.Conn
	sess     *session
	sendUUID atomic.Bool // the upgrade created the session: tell the first call
	token    string      // AGL-final/libafb: the connection's token; reader goroutine only

	ctx    context.Context // cancelled when the connection ends
	cancel context.CancelFunc
	out    chan []byte
	calls  chan struct{} // semaphore of running calls
	wdone  chan struct{} // the writer has exited

	mu     sync.Mutex
	events map[*Event]struct{}
	dead   bool
	once   sync.Once
}

func newWSConn(b *Binder, ws *wsconn.Conn, s *session) *wsConn {
	ctx, cancel := context.WithCancel(context.Background())
	return &wsConn{
		b: b, ws: ws, sess: s, ctx: ctx, cancel: cancel,
		out:    make(chan []byte, b.opts.SendQueue),
		calls:  make(chan struct{}, b.opts.MaxCalls),
		wdone:  make(chan struct{}),
		events: make(map[*Event]struct{}),
	}
}

// serve reads frames until the peer leaves or breaks the protocol.
func (c *wsConn) serve() {
	go c.writer()
	var (
		buf []byte
		f   Frame
	)
	for {
		// No context: shutdown, the only canceller of c.ctx, closes the
		// socket, which ends the read (a cancellable context would cost a
		// watch per message).
		op, msg, err := c.ws.ReadMessage(context.Background(), buf[:0])
		if err != nil {
			// Peer close, I/O error, or a limit: wsconn answered already.
			c.shutdown(context.Background(), wsconn.StatusNormalClosure, "")
			return
		}
		buf = msg
		if op != wsconn.Text || f.Parse(msg) != nil || f.Validate() != nil {
			c.shutdown(context.Background(), wsconn.StatusPolicyViolation, "")
			return
		}
		switch f.Type {
		case FrameEvent:
			continue // client events are ignored
		case FrameReplyOK, FrameReplyError:
			// This server never calls its clients: every reply ID is unknown.
			c.shutdown(context.Background(), wsconn.StatusPolicyViolation, "")
			return
		}
		select {
		case c.calls <- struct{}{}:
		case <-c.ctx.Done():
			return
		}
		c.call(&f)
	}
}

// call copies what it needs out of f (whose bytes the next read reuses)
// and dispatches it.
func (c *wsConn) call(f *Frame) {
	id := string(f.ID)
	args := append([]byte(nil), f.Payload...)
	var tokenOK bool
	if c.b.opts.Dialect.tokenIsPermission() {
		// AGL-final: a call's token replaces the connection's, and every
		// call is checked (nothing was at the upgrade).
		if f.HasToken() {
			c.token = string(f.Token)
		}
		tokenOK = c.b.tokenValid(c.sess, c.token)
	} else {
		// V1/V6: the connection was authenticated at upgrade; a call's
		// token is checked for that call only.
		tokenOK = !f.HasToken() || c.sess.checkToken(string(f.Token), time.Now())
	}
	c.b.dispatch(c.ctx, call{
		api: string(f.API), verb: string(f.Verb), args: args, sess: c.sess, tokenOK: tokenOK, conn: c,
		finish: func(rep *Reply, closing bool) {
			if c.sendUUID.Swap(false) && !closing && c.b.opts.Dialect.sendsBack() {
				rep.UUID = c.sess.uuid
			}
			c.send(c.replyFrame(id, rep))
			<-c.calls
		},
	})
}

// replyFrame builds [3|4,"ID",REPLY(,"TOKEN")].
func (c *wsConn) replyFrame(id string, rep *Reply) []byte {
	code := byte('3')
	if rep.Status != StatusSuccess {
		code = '4'
	}
	buf := make([]byte, 0, 128+len(id)+len(rep.Response))
	buf = append(buf, '[', code, ',', '"')
	buf = append(buf, id...)
	buf = append(buf, '"', ',')
	buf = c.b.appendReply(buf, rep)
	if rep.Token != "" {
		buf = append(buf, ',')
		buf = appendString(buf, rep.Token)
	}
	return append(buf, ']')
}

// send queues msg without blocking; a full queue means the peer does not
// read, and the connection is closed with 1008. It reports whether msg
// was queued.
func (c *wsConn) send(msg []byte) bool {
	select {
	case <-c.ctx.Done():
		return false
	default:
	}
	select {
	case c.out <- msg:
		return true
	default:
		go c.shutdown(context.Background(), wsconn.StatusPolicyViolation, "too slow")
		return false
	}
}

func (c *wsConn) writer() {
	defer close(c.wdone)
	for {
		select {
		case msg := <-c.out:
			// A socket deadline instead of a context per message: shutdown
			// moves it to the past to stop a blocked write.
			c.ws.NetConn().SetWriteDeadline(time.Now().Add(writeTimeout))
			err := c.ws.WriteText(context.Background(), msg)
			if err != nil {
				go c.shutdown(context.Background(), wsconn.StatusGoingAway, "")
				return
			}
		case <-c.ctx.Done():
			return
		}
	}
}

// remember records a subscription; false when the connection is closing.
func (c *wsConn) remember(e *Event) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return false
	}
	c.events[e] = struct{}{}
	return true
}

func (c *wsConn) forget(e *Event) {
	c.mu.Lock()
	delete(c.events, e)
	c.mu.Unlock()
}

// shutdownWriteGrace bounds how long shutdown waits for a write in
// progress before cutting it off.
const shutdownWriteGrace = 500 * time.Millisecond

// shutdown ends the connection once: pending calls are cancelled, queued
// messages dropped, the close frame sent with code, subscriptions
// released.
func (c *wsConn) shutdown(ctx context.Context, code wsconn.StatusCode, reason string) {
	c.once.Do(func() {
		c.cancel()
		// Let a write in progress finish, so the close frame never
		// follows half an event; a writer blocked on a peer that does
		// not read is stopped by moving its deadline to the past.
		select {
		case <-c.wdone:
		case <-time.After(shutdownWriteGrace):
			c.ws.NetConn().SetWriteDeadline(time.Unix(1, 0))
			<-c.wdone
		}
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		c.ws.Close(ctx, code, reason)
		cancel()
		c.mu.Lock()
		c.dead = true
		evs := c.events
		c.events = nil
		c.mu.Unlock()
		for e := range evs {
			e.drop(c)
		}
		c.b.connsMu.Lock()
		delete(c.b.connSet, c)
		c.b.connsMu.Unlock()
	})
}
