package httpipc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appwire/appwire/httpipc/bhttp"
	"github.com/appwire/appwire/httpipc/internal/requri"
)

// DefaultHost is the host a client puts in requests whose URL has none,
// and the Host a server reports when a request carries neither authority
// nor host field. Names under .localhost never leave the machine (RFC 6761
// §6.3), like Docker's api.moby.localhost.
const DefaultHost = "ipc.localhost"

// remotePlaceholder is http.Request.RemoteAddr when the carrier has no
// address (a MessageConn, a pipe, an unnamed unix socket).
const remotePlaceholder = "ipc"

// Server serves HTTP handlers over httpipc connections. The zero value
// (with Handler set) is ready to use; fields must not change once serving.
type Server struct {
	// Handler answers each request; http.DefaultServeMux if nil.
	Handler http.Handler
	// Options are the connection settings and limits.
	Options Options
	// MaxRequestBodySize bounds each request's content. A handler reading
	// beyond it gets an error matching ErrMessageTooLarge; if it then
	// writes no response the stream is reset with MESSAGE_TOO_LARGE.
	// Default 8 MiB; negative means no limit.
	MaxRequestBodySize int64
	// ErrorLog receives handler panics and connection errors; nil means
	// log.Default().
	ErrorLog *log.Logger
	// PanicStacks adds the goroutine stack to the one line that reports
	// a handler panic (stream, method, path and the recovered value). It
	// is a debugging aid: off, a panic is one log line.
	PanicStacks bool
	// DrainTimeout makes the end of Serve's or ServeConn's ctx a graceful
	// shutdown, as for a SIGTERM: no new connections or streams, GOAWAY
	// to every client, and the open streams get up to DrainTimeout to
	// finish before their connections are closed; Serve returns (with
	// ctx.Err()) once they are done. Zero closes everything at once when
	// ctx ends. Shutdown is the same drain with a grace of its own ctx.
	DrainTimeout time.Duration

	// Streams in progress and when the last one ended (unix nanos), for
	// ServeIdle; counted only while idle is tracked.
	trackIdle atomic.Bool
	active    atomic.Int64
	lastEnd   atomic.Int64

	// Idle stream workers take new streams (no goroutine to start, and a
	// stack already grown by earlier handlers); see startStream.
	work     chan streamJob
	workQuit atomic.Pointer[chan struct{}] // closed (and replaced) when the last conn ends
	nconns   atomic.Int64

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closed    bool
	connGone  chan struct{} // closed and replaced when a conn ends
}

// Serve accepts connections on l and serves h on each, until ctx is done
// (it then closes l and every connection and returns ctx.Err()).
func Serve(ctx context.Context, l net.Listener, h http.Handler) error {
	return (&Server{Handler: h}).Serve(ctx, l)
}

// Serve accepts connections on l and serves each in its own goroutine. It
// returns ErrServerClosed after Shutdown or Close, ctx.Err() once ctx is
// done (closing l and the connections it accepted), or the Accept error.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = make(map[net.Listener]struct{})
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			switch {
			case closed:
				return ErrServerClosed
			case ctx.Err() != nil:
				if s.DrainTimeout > 0 {
					s.drain()
				}
				return ctx.Err()
			}
			return err
		}
		go s.ServeConn(ctx, nc)
	}
}

// ServeConn serves one byte-stream connection (a net.Conn, a pipe pair, a
// child's stdin/stdout) until it ends or ctx is done, and closes it. It
// returns nil when the connection ended cleanly (GOAWAY, or the peer left
// with no stream open).
func (s *Server) ServeConn(ctx context.Context, rwc io.ReadWriteCloser) error {
	return s.serve(ctx, newStreamCarrier(rwc))
}

// ServeMessageConn is ServeConn for a message channel: each frame is one
// message.
func (s *Server) ServeMessageConn(ctx context.Context, mc MessageConn) error {
	car, err := newMessageCarrier(mc)
	if err != nil {
		mc.Close()
		return err
	}
	return s.serve(ctx, car)
}

func (s *Server) serve(ctx context.Context, car carrier) error {
	c := newConn(ctx, car, s.Options, false)
	c.srv = s
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.close()
		return ErrServerClosed
	}
	if s.conns == nil {
		s.conns = make(map[*conn]struct{})
	}
	if s.work == nil {
		s.work = make(chan streamJob)
		q := make(chan struct{})
		s.workQuit.Store(&q)
	}
	s.conns[c] = struct{}{}
	s.nconns.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		if s.nconns.Add(-1) == 0 {
			q := make(chan struct{})
			close(*s.workQuit.Swap(&q)) // idle workers leave with the last connection
		}
		if s.connGone != nil {
			close(s.connGone)
			s.connGone = nil
		}
		s.mu.Unlock()
	}()
	hctx, cancel := context.WithTimeout(ctx, c.opts.PingTimeout)
	err := c.handshake(hctx)
	cancel()
	if err != nil {
		return err
	}
	if s.trackIdle.Load() {
		s.lastEnd.Store(time.Now().UnixNano()) // a new client counts as activity for ServeIdle
	}
	stop := context.AfterFunc(ctx, func() { s.endConn(c) })
	defer stop()
	c.readLoop()
	c.mu.Lock()
	err = c.err
	c.mu.Unlock()
	if errors.Is(err, ErrClosed) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// Shutdown stops accepting, sends GOAWAY to every connection so clients
// open no new streams (those above the GOAWAY's last id fail with
// ErrStreamRefused and are retried elsewhere), and waits for the open
// streams to finish. When ctx ends first, the remaining connections are
// closed and ctx.Err() is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.goAway()
	}
	for {
		s.mu.Lock()
		if len(s.conns) == 0 {
			s.mu.Unlock()
			return nil
		}
		if s.connGone == nil {
			s.connGone = make(chan struct{})
		}
		ch := s.connGone
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		}
	}
}

// endConn ends c because its serving ctx is done: at once, or after a
// GOAWAY and up to DrainTimeout for its open streams.
func (s *Server) endConn(c *conn) {
	if s.DrainTimeout <= 0 {
		c.close()
		return
	}
	c.goAway()
	t := time.AfterFunc(s.DrainTimeout, c.close)
	go func() {
		<-c.readDone
		t.Stop()
	}()
}

// drain is Shutdown with a grace of DrainTimeout, for Serve once its ctx
// is done.
func (s *Server) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), s.DrainTimeout)
	defer cancel()
	s.Shutdown(ctx)
}

// Close closes every listener and connection at once.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	return nil
}

func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf(format, args...)
	} else {
		log.Printf(format, args...)
	}
}

func (s *Server) maxBody() int64 {
	switch {
	case s.MaxRequestBodySize < 0:
		return 0 // bhttp: no limit
	case s.MaxRequestBodySize == 0:
		return DefaultMaxRequestBodySize
	}
	return s.MaxRequestBodySize
}

// startStream runs the handler for a new peer stream (called by the read
// loop with c.mu held; must not block).
func (s *Server) startStream(c *conn, st *stream) {
	track := s.trackIdle.Load()
	if track {
		s.active.Add(1)
	}
	j := streamJob{c, st, track}
	select {
	case s.work <- j: // an idle worker takes it
	default:
		go s.worker(j)
	}
}

// streamJob is a stream for a worker to serve.
type streamJob struct {
	c     *conn
	st    *stream
	track bool
}

// workerIdle is how long a stream worker waits for another stream before
// it exits.
const workerIdle = time.Second

// worker serves j, then further streams handed to it, until it has been
// idle for workerIdle or the server has no connection left.
func (s *Server) worker(j streamJob) {
	s.serveStream(j.c, j.st, j.track)
	var t *time.Timer
	for {
		// Load quit before looking at the count: the last connection to
		// end lowers the count, then closes the channel loaded here.
		quit := *s.workQuit.Load()
		if s.nconns.Load() == 0 {
			return
		}
		if t == nil {
			t = time.NewTimer(workerIdle)
			defer t.Stop()
		} else {
			t.Reset(workerIdle)
		}
		select {
		case j = <-s.work:
			s.serveStream(j.c, j.st, j.track)
		case <-t.C:
			return
		case <-quit:
			return
		}
	}
}

func (s *Server) serveStream(c *conn, st *stream, track bool) {
	if track {
		defer s.streamEnded()
	}
	defer st.discardRecv()
	defer st.cancel()
	br := getBufio(st)
	lim := c.opts.limits()
	lim.MaxStreamBodySize = s.maxBody()
	rr := bhttp.NewRequestReader(br, lim)
	head, err := rr.Head()
	if err != nil {
		st.failDecode(err)
		putBufio(br)
		return
	}
	req, err := s.newRequest(c, st, head, rr, br)
	if err != nil {
		putBufio(br)
		st.abort(&StreamError{Code: ErrCodeProtocol, Cause: err}, true, ErrCodeProtocol)
		return
	}
	rw := &responseWriter{st: st, c: c, req: req, sw: streamWriter{st: st, ctx: st.ctx}}
	rw.bw = bhttp.NewWriter(&rw.sw)
	rw.isHead = req.Method == http.MethodHead
	body, _ := req.Body.(*requestBody)
	if body != nil {
		body.rw = rw
	}
	if s.callHandler(rw, req) {
		rw.finish()
	}
	// The handler is done: its body (if it kept it) reads no more, and
	// the buffer goes back to the pool.
	st.discardRecv()
	if body != nil {
		body.mu.Lock()
		body.closed.Store(true)
		body.mu.Unlock()
	}
	putBufio(br)
}

func (s *Server) streamEnded() {
	s.lastEnd.Store(time.Now().UnixNano())
	s.active.Add(-1)
}

// failDecode resets the stream after a bad request head or body.
func (st *stream) failDecode(err error) {
	if st.isAborted() {
		return
	}
	code := ErrCodeProtocol
	switch {
	case errors.Is(err, bhttp.ErrBodyTooLarge):
		code = ErrCodeMessageTooLarge
	case errors.Is(err, bhttp.ErrLimit):
		code = ErrCodeHeaderLimit
	}
	st.abort(&StreamError{Code: code, Cause: err}, true, code)
}

func (st *stream) isAborted() bool {
	st.c.mu.Lock()
	defer st.c.mu.Unlock()
	return st.aborted
}

// callHandler runs the handler; a panic becomes a 500 without detail (or
// a RESET(INTERNAL) once the head is out). It reports whether the handler
// returned normally.
func (s *Server) callHandler(rw *responseWriter, req *http.Request) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				s.logPanic(rw.st, req, v)
			}
			rw.panicked(v == http.ErrAbortHandler)
		}
	}()
	h := s.Handler
	if h == nil {
		h = http.DefaultServeMux
	}
	h.ServeHTTP(rw, req)
	return true
}

// logPanic reports a handler panic in one line (the stack follows only
// with PanicStacks): a recovered panic is the handler's bug, answered 500,
// not a crash of the server.
func (s *Server) logPanic(st *stream, req *http.Request, v any) {
	msg := fmt.Sprintf("httpipc: handler panic on stream %d (%s %s): %v", st.ID(), req.Method, req.URL.Path, v)
	msg = strings.ReplaceAll(msg, "\n", `\n`) // one line, whatever the value says
	if s.PanicStacks {
		buf := make([]byte, 16<<10)
		msg += "\n" + string(buf[:runtime.Stack(buf, false)])
	}
	s.logf("%s", msg)
}

func (s *Server) newRequest(c *conn, st *stream, head *bhttp.Request, rr *bhttp.RequestReader, br *bufio.Reader) (*http.Request, error) {
	h, ok := toHeader(head.Header)
	if !ok {
		return nil, errors.New("httpipc: pseudo-field in request")
	}
	host := head.Authority
	if vs := h["Host"]; len(vs) > 0 {
		if host == "" {
			host = vs[0]
		}
		delete(h, "Host")
	}
	if host == "" {
		host = DefaultHost
	}
	// The URL and the request body in one allocation.
	x := &struct {
		url  url.URL
		body requestBody
	}{}
	u := &x.url
	*u = url.URL{Scheme: head.Scheme, Host: host}
	if head.Method == http.MethodConnect {
		u.Path = ""
	} else if head.Path == "*" {
		u.Path = "*"
	} else if err := requri.Parse(u, head.Path); err != nil {
		return nil, err
	}
	cl := int64(-1)
	if vs := h["Content-Length"]; len(vs) > 0 {
		n, err := strconv.ParseInt(vs[0], 10, 64)
		if err != nil || n < 0 || len(vs) > 1 && !allEqual(vs) {
			return nil, errors.New("httpipc: invalid content-length")
		}
		cl = n
	}
	remote := c.remote
	if remote == "" {
		remote = remotePlaceholder
	}
	req := &http.Request{
		Method: head.Method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Host: host, RequestURI: head.Path, RemoteAddr: remote, ContentLength: cl,
	}
	for _, v := range h["Trailer"] {
		for _, k := range strings.Split(v, ",") {
			if k = textprotoTrim(k); k != "" {
				if req.Trailer == nil {
					req.Trailer = make(http.Header)
				}
				req.Trailer[canonicalName(strings.ToLower(k))] = nil
			}
		}
	}
	req = req.WithContext(st.ctx)
	if st.emptyRest(br) && req.Trailer == nil && cl <= 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	} else {
		x.body = requestBody{st: st, rr: rr, req: req, declared: cl}
		req.Body = &x.body
	}
	return req, nil
}

func allEqual(vs []string) bool {
	for _, v := range vs[1:] {
		if v != vs[0] {
			return false
		}
	}
	return true
}

func textprotoTrim(s string) string { return strings.Trim(s, " \t") }

// emptyRest reports whether the message is complete and what is left of it
// is at most an empty content and an empty trailer section (two zero
// bytes), so the request has no body.
func (st *stream) emptyRest(br *bufio.Reader) bool {
	if br.Buffered() > 2 {
		return false
	}
	st.rmu.Lock()
	end := st.rend && st.rerr == nil
	pipe, small := st.rbuf.peek(2)
	st.rmu.Unlock()
	if !end || !small {
		return false
	}
	b, _ := br.Peek(br.Buffered())
	rest := append(b[:len(b):len(b)], pipe...)
	if len(rest) > 2 {
		return false
	}
	for _, c := range rest {
		if c != 0 {
			return false
		}
	}
	return true
}

// requestBody is http.Request.Body on the server.
type requestBody struct {
	st       *stream
	rr       *bhttp.RequestReader
	req      *http.Request
	rw       *responseWriter
	declared int64
	n        int64
	err      error
	closed   atomic.Bool
	mu       sync.Mutex
}

func (b *requestBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return 0, http.ErrBodyReadAfterClose
	}
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.rr.Read(p)
	b.n += int64(n)
	if b.declared >= 0 && b.n > b.declared {
		err = errors.New("httpipc: request content longer than content-length")
	}
	if err == io.EOF {
		tr, terr := b.rr.Trailer()
		switch {
		case terr != nil:
			err = terr
		case b.declared >= 0 && b.n != b.declared:
			err = errors.New("httpipc: request content shorter than content-length")
		default:
			if len(tr) > 0 {
				th, ok := toHeader(tr)
				if !ok {
					err = errors.New("httpipc: pseudo-field in trailer")
					break
				}
				if b.req.Trailer == nil {
					b.req.Trailer = th
				} else {
					for k, vs := range th {
						b.req.Trailer[k] = vs
					}
				}
			}
		}
	}
	if err != nil && err != io.EOF {
		err = b.mapErr(err)
	}
	b.err = err
	return n, err
}

// mapErr turns a decode error into a StreamError; errors of the stream
// itself (reset, lost peer) pass through.
func (b *requestBody) mapErr(err error) error {
	if b.st.isAborted() {
		return err
	}
	if errors.Is(err, bhttp.ErrBodyTooLarge) {
		if b.rw != nil {
			b.rw.bodyTooLarge = true
		}
		return &StreamError{Code: ErrCodeMessageTooLarge, Cause: wrapf(ErrMessageTooLarge, err.Error())}
	}
	// An invalid message (RFC 9292 §4) must not be processed further.
	se := &StreamError{Code: ErrCodeProtocol, Cause: err}
	b.st.abort(se, true, ErrCodeProtocol)
	return se
}

func (b *requestBody) Close() error {
	b.closed.Store(true)
	return nil
}
