package conformancetest

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
)

// Response is a buffered HTTP response that a mutant may change before it
// is sent.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// RewriteResponses wraps h so that every response it writes is buffered
// and handed to edit, which may change the status, the headers and the
// body, before it goes out. Requests that h hijacks (WebSocket upgrades)
// pass through untouched: rewrite their frames with a FrameProxy. A
// Content-Length is recomputed; a header h set to nil (to stop net/http
// from adding it) stays nil.
func RewriteResponses(h http.Handler, edit func(r *http.Request, resp *Response)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bw := &bufferWriter{w: w, header: http.Header{}}
		h.ServeHTTP(bw, r)
		if bw.hijacked {
			return
		}
		if bw.status == 0 {
			bw.status = http.StatusOK
		}
		resp := &Response{Status: bw.status, Header: bw.header, Body: bw.body.Bytes()}
		edit(r, resp)
		dst := w.Header()
		for k := range dst {
			delete(dst, k)
		}
		for k, v := range resp.Header {
			dst[k] = v
		}
		if _, ok := dst["Content-Length"]; ok {
			dst.Del("Content-Length")
		}
		w.WriteHeader(resp.Status)
		_, _ = w.Write(resp.Body)
	})
}

// RewriteRequests wraps h so that edit may change every request before h
// sees it.
func RewriteRequests(h http.Handler, edit func(r *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		edit(r)
		h.ServeHTTP(w, r)
	})
}

// bufferWriter buffers a response; it hands Hijack through to the real
// writer and remembers that it did.
type bufferWriter struct {
	w        http.ResponseWriter
	header   http.Header
	status   int
	body     bytes.Buffer
	hijacked bool
}

func (b *bufferWriter) Header() http.Header { return b.header }

func (b *bufferWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// Flush does nothing: the response goes out when the handler returns.
func (b *bufferWriter) Flush() {}

func (b *bufferWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(b.w).Hijack()
	if err == nil {
		b.hijacked = true
	}
	return c, rw, err
}
