package h1

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/appwire/appwire/httpipc"
	"github.com/appwire/appwire/httpipc/bhttp"
)

// Server answers UstadMobile-style requests on a MessageConn: every
// received message is one HTTP/1.1 request, and exactly one response
// message is sent for it, in order, so the client's positional pairing
// holds even for requests that cannot be decoded.
//
// Unlike the upstream server it never puts internal detail in a response:
// a handler panic is a bare 500, an undecodable request a bare 400 (413 or
// 431 for limits), a response that cannot be encoded or does not fit in
// one message a bare 500.
type Server struct {
	Handler http.Handler
	// Limits bounds requests, and the body a handler may write.
	Limits Limits
}

// ServeMessages serves conn with h and default limits; see Server.
func ServeMessages(ctx context.Context, conn httpipc.MessageConn, h http.Handler) error {
	return (&Server{Handler: h}).ServeMessages(ctx, conn)
}

// ServeMessages handles requests from conn one at a time until ctx ends
// (it returns ctx.Err()) or conn fails (it returns that error). Handlers
// see a context derived from ctx.
func (s *Server) ServeMessages(ctx context.Context, conn httpipc.MessageConn) error {
	for {
		msg, err := conn.Recv(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		reply := s.handle(ctx, msg, conn.MaxMessageSize())
		if err := conn.Send(ctx, reply); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
	}
}

func (s *Server) handle(ctx context.Context, msg []byte, maxMsg int) []byte {
	hr, err := DecodeHTTPRequest(msg, s.Limits)
	if err != nil {
		return bare(decodeStatus(err))
	}
	hr = hr.WithContext(ctx)
	w := newRecorder(s.Limits.resolved().MaxBodySize)
	if !serve(s.Handler, w, hr) || w.overflow {
		return bare(http.StatusInternalServerError)
	}
	reply, err := w.encode(hr.Method, s.Limits)
	if err != nil || (maxMsg > 0 && len(reply) > maxMsg) {
		return bare(http.StatusInternalServerError)
	}
	return reply
}

// serve runs h and reports whether it returned without panicking.
func serve(h http.Handler, w http.ResponseWriter, r *http.Request) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	h.ServeHTTP(w, r)
	return true
}

func decodeStatus(err error) int {
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrLimit):
		return http.StatusRequestHeaderFieldsTooLarge
	}
	return http.StatusBadRequest
}

// bare is a response with a status and nothing else.
func bare(status int) []byte {
	b, _ := AppendResponse(nil, &bhttp.Response{Status: status})
	return b
}

// recorder is the buffering http.ResponseWriter behind Server.
type recorder struct {
	header   http.Header
	final    http.Header // header as of WriteHeader
	status   int
	info     []bhttp.InfoResponse
	body     []byte
	max      int
	overflow bool
}

func newRecorder(max int) *recorder { return &recorder{header: http.Header{}, max: max} }

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.status != 0 || code < 100 || code > 599 {
		return
	}
	if code < 200 {
		if code != http.StatusSwitchingProtocols {
			w.info = append(w.info, bhttp.InfoResponse{Status: code, Header: fields(w.header)})
		}
		return
	}
	w.status, w.final = code, w.header.Clone()
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) > w.max-len(w.body) {
		w.overflow = true
		return 0, errors.New("h1: response body too large")
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

func (w *recorder) Flush() {}

// encode builds the response as net/http would send it: trailers from
// http.TrailerPrefix keys and from keys declared in "Trailer", no body for
// HEAD.
func (w *recorder) encode(method string, lim Limits) ([]byte, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	h, trailer := http.Header{}, http.Header{}
	for k, vs := range w.final {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			continue
		}
		h[k] = vs
	}
	for k, vs := range w.header {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			trailer[http.CanonicalHeaderKey(name)] = vs
		}
	}
	for _, v := range w.final.Values("Trailer") {
		for _, name := range strings.Split(v, ",") {
			if name = http.CanonicalHeaderKey(strings.TrimSpace(name)); name != "" && len(w.header[name]) > 0 {
				trailer[name] = w.header[name]
			}
		}
	}
	body := w.body
	if method == http.MethodHead || w.status == 204 || w.status == 304 {
		body, trailer = nil, nil
	}
	r, err := bhttp.FromHTTPResponse(&http.Response{StatusCode: w.status, Header: h, Trailer: trailer,
		Body: io.NopCloser(bytes.NewReader(body))}, bhttpLimits(lim))
	if err != nil {
		return nil, err
	}
	keep := len(body) == 0
	if r.Header, err = dropContentLength(r.Header, len(body), keep); err != nil {
		return nil, err
	}
	r.Informational = w.info
	return AppendResponse(nil, r)
}

// fields converts an informational header with bhttp's mapping.
func fields(h http.Header) bhttp.Fields {
	r, err := bhttp.FromHTTPResponse(&http.Response{StatusCode: 200, Header: h}, bhttp.Limits{})
	if err != nil {
		return nil
	}
	return r.Header
}
