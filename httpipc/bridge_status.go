package httpipc

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// BridgeStatus is the status the localhost bridge answers when a request
// could not be forwarded because of err (httpipc spec §3.6):
//
//   - 504 Gateway Timeout: the bridge's or the client's deadline passed,
//     or the server app stopped answering PINGs (TIMEOUT);
//   - 413 Content Too Large: the server app refused the request content
//     (RESET MESSAGE_TOO_LARGE);
//   - 431 Request Header Fields Too Large: the server app refused the
//     request head (RESET HEADER_LIMIT);
//   - 502 Bad Gateway: anything else, such as no server app listening, a
//     lost peer or a response the transport could not decode (a
//     response head above the transport's MaxHeaderBytes included).
//
// It never returns 500: the server app's own 500s pass through as they
// are, but a transport failure is not an internal error of the bridge.
func BridgeStatus(err error) int {
	var se *StreamError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.As(err, &se) && se.Remote && se.Code == ErrCodeMessageTooLarge:
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &se) && se.Remote && se.Code == ErrCodeHeaderLimit:
		return http.StatusRequestHeaderFieldsTooLarge
	}
	if code, ok := ErrorCode(err); ok && code == ErrCodeTimeout {
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

// proxyError is the ReverseProxy's ErrorHandler.
func (b *Bridge) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	status := BridgeStatus(err)
	switch br, _ := ctx.Value(bridgeKey{}).(*bridgeRequest); {
	case br != nil && br.bodyTooLarge.Load():
		status = http.StatusRequestEntityTooLarge
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		status = http.StatusGatewayTimeout
	case errors.Is(ctx.Err(), context.Canceled):
		return // the client went away; nobody reads an answer
	}
	b.logf("httpipc: bridge: %s %s: %d: %v", r.Method, r.URL.Path, status, err)
	plainStatus(w, status, b.statusDetail(r, status, err))
}

// statusDetail says, for a 413, which limit the request went over: the
// bridge's own or the server app's (with the reason its RESET gave).
func (b *Bridge) statusDetail(r *http.Request, status int, err error) string {
	if status != http.StatusRequestEntityTooLarge {
		return ""
	}
	if br, _ := r.Context().Value(bridgeKey{}).(*bridgeRequest); br != nil && br.bodyTooLarge.Load() {
		return b.bridgeLimitDetail()
	}
	var se *StreamError
	if errors.As(err, &se) && se.Reason != "" {
		return "the server app refused the request body: " + sanitizeDetail(se.Reason)
	}
	return "the request body is above the server app's limit"
}

func (b *Bridge) bridgeLimitDetail() string {
	return "the request body is above the bridge's limit of " + strconv.FormatInt(b.opts.MaxRequestBodySize, 10) + " bytes"
}

// sanitizeDetail keeps a peer-given reason printable and short.
func sanitizeDetail(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

func (b *Bridge) logf(format string, args ...any) {
	if b.opts.ErrorLog != nil {
		b.opts.ErrorLog.Printf(format, args...)
	} else {
		log.Printf(format, args...)
	}
}

// ErrBridgeBodyTooLarge is the error a forwarded request body returns past
// BridgeOptions.MaxRequestBodySize.
var ErrBridgeBodyTooLarge = errors.New("httpipc: bridge: request body too large")

// limitedBody fails a request body past its limit and records it, so the
// error handler answers 413 rather than 502.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
	over *atomic.Bool
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// Read one byte to tell a body of exactly the limit from a longer one.
		var one [1]byte
		n, err := l.rc.Read(one[:])
		if n > 0 {
			l.over.Store(true)
			return 0, ErrBridgeBodyTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.rc.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitedBody) Close() error { return l.rc.Close() }
