package httpipc

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// responseWriter is the http.ResponseWriter of a server stream. The head
// is held back until the first body bytes exceed what fits in one frame,
// or Flush, or the handler returns: a response that fits is sent as one
// DATA frame with a content-length field. Informational responses
// (WriteHeader(1xx)) are sent at once. Trailers are declared with the
// "Trailer" header or set with http.TrailerPrefix, as with net/http.
type responseWriter struct {
	st  *stream
	c   *conn
	req *http.Request
	sw  streamWriter
	bw  *bhttp.Writer

	h            http.Header
	status       int
	wroteHeader  bool
	headSent     bool
	bodyAllowed  bool
	isHead       bool
	done         bool
	bodyTooLarge bool
	pre          []byte // body held back until the head is sent
	err          error
}

var (
	_ http.Flusher                    = (*responseWriter)(nil)
	_ interface{ FlushError() error } = (*responseWriter)(nil)
)

func (w *responseWriter) Header() http.Header {
	if w.h == nil {
		w.h = make(http.Header)
	}
	return w.h
}

func (w *responseWriter) WriteHeader(code int) {
	if w.done || w.wroteHeader {
		return
	}
	w.writeHeader(code)
}

func (w *responseWriter) writeHeader(code int) {
	if code < 100 || code > 999 {
		panic("httpipc: invalid WriteHeader code " + strconv.Itoa(code))
	}
	if code < 200 {
		if w.err == nil {
			w.err = w.bw.WriteInformational(code, appendFields(nil, w.h))
			if w.err == nil {
				w.err = w.sw.flush(false)
			}
		}
		return
	}
	w.wroteHeader, w.status = true, code
	w.bodyAllowed = !w.isHead && code != http.StatusNoContent && code != http.StatusNotModified
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, http.ErrHandlerTimeout
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.bodyAllowed {
		return 0, http.ErrBodyNotAllowed
	}
	if w.err != nil {
		return 0, w.err
	}
	if !w.headSent {
		if len(w.pre)+len(p) <= w.c.maxOut/2 {
			if w.pre == nil {
				w.pre = getBuf(w.c.maxOut)
			}
			w.pre = append(w.pre, p...)
			return len(p), nil
		}
		if err := w.sendHead(false); err != nil {
			return 0, err
		}
	}
	n, err := w.bw.Write(p)
	if err != nil {
		w.err = err
	}
	return n, err
}

// ReadFrom copies r into the response through a pooled buffer (io.Copy
// from a request body would otherwise allocate 32 KiB per call).
func (w *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	bufp := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(bufp)
	return io.CopyBuffer(writerOnly{w}, r, *bufp)
}

type writerOnly struct{ w io.Writer }

func (w writerOnly) Write(p []byte) (int, error) { return w.w.Write(p) }

func (w *responseWriter) WriteString(s string) (int, error) {
	if !w.headSent && w.wroteHeader && w.bodyAllowed && w.pre != nil && len(w.pre)+len(s) <= w.c.maxOut/2 {
		w.pre = append(w.pre, s...)
		return len(s), nil
	}
	return w.Write([]byte(s))
}

// sendHead writes the final status and header section, then the held-back
// body. final means the handler is done, so the length is known.
func (w *responseWriter) sendHead(final bool) error {
	w.headSent = true
	h := w.Header()
	// The fields the server adds go to the head only, not into the
	// handler's map (as net/http does): no allocation for them.
	var extra [2]bhttp.Field
	nx := 0
	if w.bodyAllowed {
		if _, ok := h["Content-Type"]; !ok && len(w.pre) > 0 {
			extra[nx] = bhttp.Field{Name: "content-type", Value: http.DetectContentType(w.pre)}
			nx++
		}
		if _, ok := h["Content-Length"]; final && !ok && len(h["Trailer"]) == 0 && !w.hasPrefixTrailers() {
			extra[nx] = bhttp.Field{Name: "content-length", Value: strconv.Itoa(len(w.pre))}
			nx++
		}
	}
	fields := append(appendFields(make(bhttp.Fields, 0, len(h)+nx), h), extra[:nx]...)
	if declared := w.declaredTrailers(); len(declared) > 0 {
		fields = removeFields(fields, declared)
	}
	if err := w.bw.WriteResponseHead(w.status, fields); err != nil {
		w.err = err
		return err
	}
	if len(w.pre) > 0 {
		if _, err := w.bw.Write(w.pre); err != nil {
			w.err = err
			return err
		}
	}
	putBuf(w.pre)
	w.pre = nil
	return nil
}

func (w *responseWriter) Flush() { w.FlushError() }

// FlushError sends the head (if not yet sent) and every buffered byte; it
// is what http.ResponseController.Flush calls.
func (w *responseWriter) FlushError() error {
	if w.done {
		return http.ErrHandlerTimeout
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return w.err
	}
	if !w.headSent {
		if err := w.sendHead(false); err != nil {
			return err
		}
	}
	if err := w.sw.flush(false); err != nil {
		w.err = err
		return err
	}
	return nil
}

func (w *responseWriter) declaredTrailers() []string {
	var names []string
	for _, v := range w.h["Trailer"] {
		for _, k := range strings.Split(v, ",") {
			if k = textprotoTrim(k); k != "" {
				names = append(names, strings.ToLower(k))
			}
		}
	}
	return names
}

func (w *responseWriter) hasPrefixTrailers() bool {
	for k := range w.h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			return true
		}
	}
	return false
}

func (w *responseWriter) trailers() bhttp.Fields {
	var fs bhttp.Fields
	for _, name := range w.declaredTrailers() {
		for _, v := range w.h[canonicalName(name)] {
			fs = append(fs, bhttp.Field{Name: name, Value: strings.Trim(v, " \t")})
		}
	}
	for k, vs := range w.h {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok && name != "" {
			for _, v := range vs {
				fs = append(fs, bhttp.Field{Name: strings.ToLower(name), Value: strings.Trim(v, " \t")})
			}
		}
	}
	return fs
}

func removeFields(fs bhttp.Fields, names []string) bhttp.Fields {
	out := fs[:0]
	for _, f := range fs {
		if !contains(names, f.Name) {
			out = append(out, f)
		}
	}
	return out
}

// finish ends the response after the handler returned.
func (w *responseWriter) finish() {
	w.done = true
	st := w.st
	if st.isAborted() {
		w.sw.discard()
		return
	}
	if !w.wroteHeader {
		if w.bodyTooLarge {
			// The RESET says which limit, so a bridge can tell its client.
			reason := "request content above the server's limit of " + strconv.FormatInt(w.c.srv.maxBody(), 10) + " bytes"
			st.abort(&StreamError{Code: ErrCodeMessageTooLarge, Cause: ErrMessageTooLarge, Reason: reason}, true, ErrCodeMessageTooLarge)
			return
		}
		w.writeHeader(http.StatusOK)
	}
	err := w.err
	if err == nil && !w.headSent {
		err = w.sendHead(true)
	}
	if err == nil {
		err = w.bw.CloseWithTrailer(w.trailers())
	}
	if err == nil {
		err = w.sw.flush(true)
	}
	if err != nil {
		w.sw.discard()
		if !st.isAborted() {
			w.c.srv.logf("httpipc: stream %d: response failed: %v", st.ID(), err)
		}
		st.abort(&StreamError{Code: ErrCodeInternal, Cause: err}, true, ErrCodeInternal)
		return
	}
	// The response is complete. If the request is not, tell the client to
	// stop sending it.
	if !st.ended() {
		st.abort(&StreamError{Code: ErrCodeNo}, true, ErrCodeNo)
	}
}

// panicked answers a handler panic: a bare 500 if nothing was sent yet,
// else RESET(INTERNAL). No detail of the panic reaches the peer.
func (w *responseWriter) panicked(abort bool) {
	w.done = true
	st := w.st
	putBuf(w.pre)
	w.pre = nil
	if abort || w.headSent || w.err != nil || st.isAborted() {
		w.sw.discard()
		st.abort(&StreamError{Code: ErrCodeInternal}, true, ErrCodeInternal)
		return
	}
	w.h = http.Header{
		"Content-Type":           {"text/plain; charset=utf-8"},
		"X-Content-Type-Options": {"nosniff"},
	}
	w.status, w.wroteHeader, w.bodyAllowed = http.StatusInternalServerError, true, !w.isHead
	if w.bodyAllowed {
		w.pre = append(getBuf(w.c.maxOut), "Internal Server Error\n"...)
	}
	w.done = false
	w.finish()
}
