package httpipc

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"strings"
	"sync"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// Transport is an http.RoundTripper that carries requests over one
// httpipc connection, dialed on first use and again after the peer went
// away; concurrent requests are streams of that connection.
//
// Set exactly one of DialStream and DialMessage. Fields must not change
// after first use.
type Transport struct {
	// DialStream opens a byte-stream connection to the server: a unix
	// socket, a pipe pair, a child process's stdin/stdout.
	DialStream func(ctx context.Context) (io.ReadWriteCloser, error)
	// DialMessage opens a message channel to the server (Binder, XPC, ...).
	DialMessage func(ctx context.Context) (MessageConn, error)
	// Options are the connection settings and limits.
	Options Options
	// FailFast makes RoundTrip fail with ErrTooManyStreams instead of
	// waiting when the server's max_concurrent_streams are all in use.
	FailFast bool

	mu      sync.Mutex
	cc      *conn
	dialing chan struct{} // closed when the dial in progress ends
	closed  bool
}

// UnixTransport returns a Transport dialing the unix socket at path.
func UnixTransport(path string) *Transport {
	return &Transport{DialStream: func(ctx context.Context) (io.ReadWriteCloser, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}
}

// getConn returns the current connection, dialing one if needed.
func (t *Transport) getConn(ctx context.Context) (*conn, error) {
	for {
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			return nil, ErrClosed
		}
		if t.cc != nil && t.cc.usable() {
			c := t.cc
			t.mu.Unlock()
			return c, nil
		}
		if ch := t.dialing; ch != nil {
			t.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		ch := make(chan struct{})
		t.dialing = ch
		t.mu.Unlock()
		c, err := t.dial(ctx)
		t.mu.Lock()
		t.dialing = nil
		close(ch)
		if err == nil {
			if t.closed {
				t.mu.Unlock()
				c.close()
				return nil, ErrClosed
			}
			t.cc = c
		}
		t.mu.Unlock()
		return c, err
	}
}

func (t *Transport) dial(ctx context.Context) (*conn, error) {
	var car carrier
	switch {
	case t.DialStream != nil:
		rwc, err := t.DialStream(ctx)
		if err != nil {
			return nil, err
		}
		car = newStreamCarrier(rwc)
	case t.DialMessage != nil:
		mc, err := t.DialMessage(ctx)
		if err != nil {
			return nil, err
		}
		if car, err = newMessageCarrier(mc); err != nil {
			mc.Close()
			return nil, err
		}
	default:
		return nil, errors.New("httpipc: Transport has neither DialStream nor DialMessage")
	}
	c := newConn(context.Background(), car, t.Options, true)
	if err := c.handshake(ctx); err != nil {
		return nil, err
	}
	go c.readLoop()
	return c, nil
}

// CloseIdleConnections closes the connection if no request is using it.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	c := t.cc
	t.mu.Unlock()
	if c != nil {
		c.goAway()
	}
}

// Close closes the connection, failing its open streams, and makes later
// requests fail with ErrClosed.
func (t *Transport) Close() error {
	t.mu.Lock()
	t.closed = true
	c := t.cc
	t.cc = nil
	t.mu.Unlock()
	if c != nil {
		c.close()
	}
	return nil
}

// RoundTrip sends req on a new stream and returns the response as soon as
// its head is decoded; the body streams behind. Transport failures are
// returned as errors (matching ErrPeerGone, ErrStreamRefused, a
// *StreamError...), never as HTTP responses. A request refused by the
// server (REFUSED_STREAM or GOAWAY) is retried on a new connection when
// its body is empty or can be replayed with GetBody.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil {
		closeBody(req)
		return nil, errors.New("httpipc: nil Request.URL")
	}
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		c, err := t.getConn(ctx)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		resp, err := c.roundTrip(req, t.FailFast)
		if err == nil {
			return resp, nil
		}
		if attempt >= 3 || !(errors.Is(err, errConnUnusable) || errors.Is(err, ErrStreamRefused)) {
			return nil, err
		}
		if errors.Is(err, errConnUnusable) {
			continue // the request was not sent
		}
		if req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return nil, err
			}
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, err
			}
			r2 := *req
			r2.Body = body
			req = &r2
		}
	}
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// roundTrip runs one request on c.
func (c *conn) roundTrip(req *http.Request, failFast bool) (*http.Response, error) {
	ctx := req.Context()
	hasBody := req.Body != nil && req.Body != http.NoBody
	st, err := c.openStream(ctx, failFast)
	if err != nil {
		if !errors.Is(err, errConnUnusable) {
			closeBody(req)
		}
		return nil, err
	}
	head := bhttp.Request{Method: req.Method, Scheme: req.URL.Scheme, Authority: req.Host, Path: req.URL.RequestURI()}
	if head.Method == "" {
		head.Method = http.MethodGet
	}
	if head.Scheme == "" {
		head.Scheme = "http"
	}
	if head.Authority == "" {
		head.Authority = req.URL.Host
	}
	if head.Authority == "" {
		head.Authority = DefaultHost
	}
	head.Header = appendFields(make(bhttp.Fields, 0, len(req.Header)+1), req.Header)
	if hasBody && req.ContentLength > 0 && req.Header.Get("Content-Length") == "" {
		head.Header = append(head.Header, bhttp.Field{Name: "content-length", Value: strconv.FormatInt(req.ContentLength, 10)})
	}
	// One allocation for what lives as long as the exchange.
	x := &exchange{}
	sw := &x.sw
	*sw = streamWriter{st: st, ctx: ctx}
	bw := &x.bw
	bw.Reset(sw)
	if err := bw.WriteRequestHead(&head); err != nil {
		sw.discard()
		st.abort(&StreamError{Code: ErrCodeCancel, Cause: err}, true, ErrCodeCancel)
		closeBody(req)
		return nil, err
	}
	// Cancel: RESET(CANCEL), and the stream is freed at once. A context
	// that cannot end needs no watch.
	stop := noStop
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() {
			st.abort(&StreamError{Code: ErrCodeCancel, Cause: context.Cause(ctx)}, true, ErrCodeCancel)
		})
	}
	if !hasBody {
		err = bw.Close()
		if err == nil {
			err = sw.flush(true)
		}
		if err != nil {
			stop()
			return nil, st.failedErr(err)
		}
	} else {
		if req.ContentLength <= 0 {
			// Unknown length: the server may need the head before the
			// body starts (full duplex), so send it now.
			if err := sw.flush(false); err != nil {
				stop()
				closeBody(req)
				return nil, st.failedErr(err)
			}
		}
		if req.GetBody != nil && req.ContentLength > 0 && req.ContentLength <= int64(c.maxOut)/2 {
			// A body in memory (http.NewRequest saw a bytes.Reader,
			// bytes.Buffer or strings.Reader) that fits in one frame:
			// reading it cannot block, and writing it never waits for
			// stream credit, so no goroutine is needed.
			st.writeBody(req, bw, sw)
		} else {
			go st.writeBody(req, bw, sw)
		}
	}

	br := getBufio(st)
	rr := bhttp.NewResponseReader(br, c.opts.limits())
	if trace := httptrace.ContextClientTrace(ctx); trace != nil && trace.Got1xxResponse != nil {
		rr.Got1xx = func(in bhttp.InfoResponse) error {
			h := make(textproto.MIMEHeader, len(in.Header))
			for _, f := range in.Header {
				k := canonicalName(f.Name)
				h[k] = append(h[k], f.Value)
			}
			return trace.Got1xxResponse(in.Status, h)
		}
	}
	rh, err := rr.Head()
	if err != nil {
		stop()
		err = st.failedDecode(err)
		st.discardRecv()
		putBufio(br)
		return nil, err
	}
	h, ok := toHeader(rh.Header)
	if !ok {
		stop()
		err = st.failedDecode(errors.New("httpipc: pseudo-field in response"))
		st.discardRecv()
		putBufio(br)
		return nil, err
	}
	resp := &x.resp
	*resp = http.Response{
		Status:     statusLine(rh.Status),
		StatusCode: rh.Status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, ContentLength: -1, Request: req,
	}
	if vs := h["Content-Length"]; len(vs) == 1 {
		if n, err := strconv.ParseInt(vs[0], 10, 64); err == nil && n >= 0 {
			resp.ContentLength = n
		}
	}
	for _, v := range h["Trailer"] {
		for _, k := range splitList(v) {
			if resp.Trailer == nil {
				resp.Trailer = make(http.Header)
			}
			resp.Trailer[canonicalName(lowerName(k))] = nil
		}
	}
	x.body = responseBody{st: st, rr: rr, br: br, resp: resp, stop: stop}
	resp.Body = &x.body
	return resp, nil
}

// exchange holds what a client exchange needs for its whole life, in one
// allocation.
type exchange struct {
	sw   streamWriter
	bw   bhttp.Writer
	resp http.Response
	body responseBody
}

func noStop() bool { return false }

// statusLines caches Response.Status ("200 OK") for the known codes.
var statusLines = func() (t [600]string) {
	for code := 100; code < len(t); code++ {
		if txt := http.StatusText(code); txt != "" {
			t[code] = strconv.Itoa(code) + " " + txt
		}
	}
	return t
}()

func statusLine(code int) string {
	if code >= 0 && code < len(statusLines) && statusLines[code] != "" {
		return statusLines[code]
	}
	return strconv.Itoa(code) + " " + http.StatusText(code)
}

func splitList(v string) []string {
	var out []string
	for _, k := range strings.Split(v, ",") {
		if k = textprotoTrim(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// failedErr reports why a write on st failed: the stream's own error if it
// was aborted (cancel, reset, lost peer), else err.
func (st *stream) failedErr(err error) error {
	st.c.mu.Lock()
	serr := st.err
	st.c.mu.Unlock()
	if serr != nil {
		return serr
	}
	return err
}

// failedDecode handles a response head that did not decode: the stream's
// own error if it was aborted, else a RESET and the decode error.
func (st *stream) failedDecode(err error) error {
	if st.isAborted() {
		return st.failedErr(err)
	}
	code := ErrCodeProtocol
	if errors.Is(err, bhttp.ErrLimit) {
		code = ErrCodeHeaderLimit
	}
	se := &StreamError{Code: code, Cause: err}
	st.abort(se, true, code)
	return se
}

// writeBody streams the request body, then its trailers, in its own
// goroutine (the response may start before the body ends).
func (st *stream) writeBody(req *http.Request, bw *bhttp.Writer, sw *streamWriter) {
	defer req.Body.Close()
	bufp := copyBufPool.Get().(*[]byte)
	_, err := io.CopyBuffer(bodyWriter{bw}, bodyReader{req.Body}, *bufp)
	copyBufPool.Put(bufp)
	if err == nil {
		var tr bhttp.Fields
		if len(req.Trailer) > 0 {
			tr = appendFields(nil, req.Trailer)
		}
		if err = bw.CloseWithTrailer(tr); err == nil {
			err = sw.flush(true)
		}
	}
	if err != nil {
		sw.discard()
		if !st.isAborted() {
			st.abort(&StreamError{Code: ErrCodeCancel, Cause: err}, true, ErrCodeCancel)
		}
	}
}

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// bodyWriter and bodyReader hide io.ReaderFrom/io.WriterTo so that
// io.CopyBuffer uses the pooled buffer; each Read becomes one chunk.
type bodyWriter struct{ w io.Writer }

func (w bodyWriter) Write(p []byte) (int, error) { return w.w.Write(p) }

type bodyReader struct{ r io.Reader }

func (r bodyReader) Read(p []byte) (int, error) { return r.r.Read(p) }

// responseBody is http.Response.Body.
type responseBody struct {
	st   *stream
	rr   *bhttp.ResponseReader
	br   *bufio.Reader // pooled; returned by Close
	resp *http.Response
	stop func() bool
	mu   sync.Mutex
	err  error
}

func (b *responseBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.rr.Read(p)
	if err == io.EOF {
		tr, terr := b.rr.Trailer()
		if terr != nil {
			err = b.st.failedDecode(terr)
		} else if len(tr) > 0 {
			th, ok := toHeader(tr)
			if !ok {
				err = b.st.failedDecode(errors.New("httpipc: pseudo-field in trailer"))
			} else if b.resp.Trailer == nil {
				b.resp.Trailer = th
			} else {
				for k, vs := range th {
					b.resp.Trailer[k] = vs
				}
			}
		}
	} else if err != nil {
		err = b.st.failedDecode(err)
	}
	if err != nil {
		b.err = err
		b.stop()
	}
	return n, err
}

// Close frees the stream; if the body was not read to its end the stream
// is reset with CANCEL.
func (b *responseBody) Close() error {
	b.stop()
	if !b.st.ended() {
		b.st.abort(&StreamError{Code: ErrCodeCancel, Cause: errBodyClosed}, true, ErrCodeCancel)
	}
	b.st.discardRecv()
	b.mu.Lock()
	if b.err == nil {
		b.err = errBodyClosed
	}
	br := b.br
	b.br = nil
	b.mu.Unlock()
	if br != nil {
		putBufio(br)
	}
	return nil
}

var errBodyClosed = errors.New("httpipc: read on closed response body")
