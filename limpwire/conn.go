package limpwire

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
)

// conn is one client connection of a Server.
type conn struct {
	s                *Server
	ws               *wsconn.Conn
	ip, origin, ua   string
	last             atomic.Int64 // Unix nanoseconds of the last message
	readCtx          context.Context
	stopRead         context.CancelFunc // Shutdown: read no more calls
	taskCtx          context.Context    // method calls
	stopTasks        context.CancelFunc // the peer is gone
	watchCtx         context.Context    // watch tasks
	stopWatch        context.CancelFunc
	tasks, watchers  sync.WaitGroup
	sem              chan struct{} // bounds the running method calls
	closeOnce        sync.Once
	closeCode        atomic.Int32
	anonKey, authKey *Key

	mu          sync.Mutex
	verified    bool
	app         string
	session     *Session // nil: anonymous
	key         *Key
	quota       quota
	files       map[string]map[string]*upload // attr -> index -> file
	uploadBytes int64
	watches     map[string]*watchTask
}

func newConn(s *Server, ws *wsconn.Conn, ip, origin, ua string) *conn {
	c := &conn{s: s, ws: ws, ip: ip, origin: origin, ua: ua, sem: make(chan struct{}, s.opts.MaxTasks)}
	c.readCtx, c.stopRead = context.WithCancel(context.Background())
	c.taskCtx, c.stopTasks = context.WithCancel(context.Background())
	c.watchCtx, c.stopWatch = context.WithCancel(context.Background())
	c.anonKey = NewKey(s.opts.AnonToken)
	c.key = c.anonKey
	c.files = map[string]map[string]*upload{}
	c.watches = map[string]*watchTask{}
	c.last.Store(s.now().UnixNano())
	return c
}

func (c *conn) lastCall() time.Time { return time.Unix(0, c.last.Load()) }

// send writes r; errors mean the peer is gone and show up on the read side.
func (c *conn) send(r *Reply) {
	b, err := AppendReply(make([]byte, 0, 256), r)
	if err != nil {
		c.logf("limpwire: encoding a reply: %v", err)
		b, _ = AppendReply(nil, ErrorReply(ErrServer, r.CallID(), true))
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.s.opts.WriteTimeout)
	defer cancel()
	_ = c.ws.WriteText(ctx, b)
}

func (c *conn) sendErr(e *Error, callID string) { c.send(ErrorReply(e, callID, true)) }

func (c *conn) logf(format string, args ...any) {
	if c.s.opts.Logf != nil {
		c.s.opts.Logf(format, args...)
	}
}

// close ends the connection with a closing handshake.
func (c *conn) close(code wsconn.StatusCode) {
	c.closeOnce.Do(func() {
		c.stopRead()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = c.ws.Close(ctx, code, "")
	})
}

// drain makes the read loop stop: the connection then finishes its
// running calls and closes with 1001 (Server.Shutdown).
func (c *conn) drain() {
	c.closeCode.Store(int32(wsconn.StatusGoingAway))
	c.stopRead()
}

// serve greets the client and reads calls until the connection ends.
func (c *conn) serve() {
	c.send(&Reply{Status: 200, Msg: "Connection ready", Args: map[string]any{"code": CodeConnReady}})
	buf := make([]byte, 0, 4096)
	for {
		op, msg, err := c.ws.ReadMessage(c.readCtx, buf[:0])
		if err != nil {
			break
		}
		if cap(msg) <= 64<<10 {
			buf = msg[:0]
		}
		if op != wsconn.Text {
			continue // 6.0 ignores binary messages
		}
		if !c.handle(msg) {
			break
		}
	}
	draining := c.closeCode.Load() == int32(wsconn.StatusGoingAway)
	if !draining {
		c.stopTasks() // the peer is gone or was sent away: replies cannot arrive
	}
	c.stopWatch()
	c.tasks.Wait()
	c.watchers.Wait()
	if draining {
		c.close(wsconn.StatusGoingAway)
	} else {
		c.close(wsconn.StatusNormalClosure)
	}
	c.stopTasks()
}

// handle runs the dispatch of docs/protocols/limp.md section 5 on one
// message; it returns false when the connection must close.
func (c *conn) handle(msg []byte) bool {
	s := c.s
	now := s.now()

	// 1. Quotas, counted before anything is decoded, answered after the
	// token is verified.
	ipHit := s.ipHit(c.ip, now)
	c.mu.Lock()
	limit := s.opts.QuotaAnon
	if !c.session.Anon() {
		limit = s.opts.QuotaAuth
	}
	connHit := c.quota.hit(now, s.opts.QuotaWindow, limit)
	verified, key := c.verified, c.key
	c.mu.Unlock()

	// 2. The idle timer, then the JSON.
	c.last.Store(now.UnixNano())
	f, err := ParseFrame(msg, int(s.opts.MaxFrameSize))
	if errors.Is(err, ErrMalformedFrame) {
		c.send(ErrorReply(ErrServer, "", false))
		return true
	}

	// 3. The token, with the connection's current key.
	var call *Call
	if err == nil {
		var payload []byte
		if payload, err = key.Verify(f.Token); err == nil {
			call, err = ParseCall(payload, now)
		}
	}
	if err != nil {
		r := ErrorReply(ErrInvalidToken, f.CallID, true)
		if !f.HasCallID {
			r.Args["call_id"] = nil
		}
		c.send(r)
		return verified
	}
	id := call.CallID
	switch {
	case ipHit:
		c.sendErr(ErrIPQuota, id)
		return true
	case connHit:
		c.sendErr(ErrSessionQuota, id)
		return true
	}

	// 4. The endpoint.
	if !call.HasEndpoint {
		c.sendErr(ErrNoEndpoint, id)
		return true
	}

	// 5. conn/verify first.
	if !verified {
		if call.Endpoint != "conn/verify" {
			c.sendErr(ErrNoVerify, id)
			return false
		}
		app, ok := c.verifyApp(call.Doc)
		if !ok {
			c.sendErr(ErrNoVerify, id)
			return false
		}
		c.mu.Lock()
		c.verified, c.app = true, app
		c.mu.Unlock()
		c.send(&Reply{Status: 200, Msg: "Connection establised", Args: map[string]any{"code": CodeConnOK, "call_id": id}})
		return true
	}

	// 6. Connection-level endpoints (exact, case-sensitive).
	switch call.Endpoint {
	case "conn/close":
		return false
	case "heart/beat":
		c.send(&Reply{Status: 200, Msg: "Heartbeat received.", Args: map[string]any{"code": CodeHeartbeat, "call_id": id}})
		return true
	}

	// 7. Session state checks.
	ep := strings.ToLower(call.Endpoint)
	c.mu.Lock()
	anon := c.session.Anon()
	c.mu.Unlock()
	switch {
	case (ep == "session/auth" || ep == "session/reauth") && !anon:
		c.sendErr(ErrAlreadyAuthed, id)
		return true
	case ep == "session/signout" && anon:
		c.sendErr(ErrAnonSignout, id)
		return true
	}

	// 8. Defaults and the path. 6.0 fails with a bare 500 on a missing
	// sid; this server says what is missing.
	if !call.HasSID {
		c.sendErr(ErrInvalidCall.WithMsg("Request missing sid."), id)
		return true
	}
	modName, methName, ok := strings.Cut(ep, "/")
	if !ok || strings.Contains(methName, "/") {
		c.sendErr(ErrInvalidPath, id)
		return true
	}

	// 9, 10. Uploads and watch deletion are the connection's own.
	switch ep {
	case "file/upload":
		c.upload(call)
		return true
	case "watch/delete":
		c.deleteWatch(call)
		return true
	}

	// 11. Module and method.
	mod := s.module(modName)
	if mod == nil {
		c.sendErr(ErrInvalidModule, id)
		return true
	}
	meth := mod.Methods[methName]
	if meth == nil {
		c.sendErr(ErrInvalidMethod, id)
		return true
	}
	if meth.GetOnly {
		c.sendErr(ErrGetMethod, id)
		return true
	}

	// 12. The method runs as a task of its own.
	select {
	case c.sem <- struct{}{}:
	case <-c.readCtx.Done():
		return false
	}
	c.tasks.Add(1)
	go func() {
		defer func() { <-c.sem; c.tasks.Done() }()
		c.run(mod, methName, meth, call)
	}()
	return true
}

// verifyApp applies the client-app rules to conn/verify's doc.
func (c *conn) verifyApp(doc map[string]any) (string, bool) {
	apps := c.s.opts.ClientApps
	if len(apps) == 0 {
		return "__public", true
	}
	id, _ := doc["app"].(string)
	for _, a := range apps {
		if a.ID != id {
			continue
		}
		if a.Web && !containsString(a.Origins, c.origin) {
			return "", false
		}
		return id, true
	}
	return "", false
}

// run is step 12: permission, args validation, the method, the reply.
func (c *conn) run(mod *Module, methName string, meth *Method, call *Call) {
	id := call.CallID
	reply := func(r *Reply) {
		if id != "" && id != "__TEST__" {
			c.send(r)
		}
	}
	fail := func(e *Error) { reply(ErrorReply(e, id, true)) }

	c.mu.Lock()
	sess := c.session
	c.mu.Unlock()
	r := &Request{Server: c.s, Module: mod, Method: methName, Call: call, Session: sess, IP: c.ip, UA: c.ua}
	perm, ok := r.permit(meth)
	if !ok {
		fail(ErrForbidden)
		return
	}
	r.RawQuery = append([]any(nil), call.Query...)
	if perm.QueryMod != nil {
		r.RawQuery = append(r.RawQuery, substUser(perm.QueryMod, sess.UserID()))
	}
	r.Doc = make(Doc, len(call.Doc))
	for k, v := range call.Doc {
		r.Doc[k] = v
	}
	for k, v := range perm.DocMod {
		r.Doc[k] = substUser(v, sess.UserID())
	}
	c.assemble(r.Doc)
	prefix := mod.codePrefix()
	if failed, ok := matchArgs(meth.QueryArgs, queryAttr(r.RawQuery)); !ok {
		fail(InvalidQuery(prefix, failed))
		return
	}
	if failed, ok := matchArgs(meth.DocArgs, func(a string) (any, bool) { v, ok := r.Doc[a]; return v, ok }); !ok {
		fail(InvalidDoc(prefix, failed))
		return
	}
	// 6.0 lets a query that does not compile (an unknown operator such
	// as $not) escape the task: no reply at all. This server answers it.
	q, err := ParseQuery(r.RawQuery)
	if err != nil {
		fail(&Error{Status: 400, Code: prefix + "INVALID_QUERY", Msg: err.Error()})
		return
	}
	r.Query = q

	if meth.Watch != nil {
		c.watch(r, meth, id)
		return
	}
	res, err := meth.Handle(c.taskCtx, r)
	if err != nil {
		e := errorOf(err)
		if e == ErrServer {
			c.logf("limpwire: %s/%s: %v", mod.Name, methName, err)
		}
		fail(e)
		return
	}
	if res == nil {
		res = &Result{}
	}
	args := make(map[string]any, len(res.Args)+1)
	for k, v := range res.Args {
		args[k] = v
	}
	c.switchSession(args["session"])
	args["call_id"] = id
	reply(&Reply{Status: 200, Msg: res.Msg, Args: args})
}

// switchSession binds the connection to the session a result carries,
// as 6.0 does with any result holding args.session.
func (c *conn) switchSession(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	id, _ := m["_id"].(string)
	c.mu.Lock()
	defer c.mu.Unlock()
	if id == "" || id == AnonSID {
		c.session, c.key = nil, c.anonKey
		return
	}
	token, _ := m["token"].(string)
	if token == "" {
		return
	}
	sess := &Session{ID: id, Token: token}
	sess.User, _ = m["user"].(Doc)
	for _, g := range asList(m["groups"]) {
		if g, ok := g.(string); ok {
			sess.Groups = append(sess.Groups, g)
		}
	}
	c.session = sess
	if c.authKey == nil || c.authKey.Secret() != token {
		c.authKey = NewKey(token)
	}
	c.key = c.authKey
}
