package httpipc

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Bridge defaults (httpipc spec §3.1, §3.5).
const (
	// DefaultBridgeReadHeaderTimeout bounds how long a client may take to
	// send a request head to the bridge.
	DefaultBridgeReadHeaderTimeout = 10 * time.Second
	// bridgeShutdownGrace is how long Serve lets open requests finish once
	// its ctx is done, before closing their connections.
	bridgeShutdownGrace = 5 * time.Second
)

// ErrNotLoopback is returned by Bridge.Listen and Bridge.Serve for an
// address that is not a loopback address, unless
// BridgeOptions.AllowNonLoopback is set.
var ErrNotLoopback = errors.New("httpipc: bridge address is not loopback")

// BridgeOptions configure a Bridge. The zero value is a loopback-only
// bridge with the default limits and no timeout of its own.
type BridgeOptions struct {
	// Forwarded adds "Forwarded: proto=http;host=<Host>" (RFC 7239 §4) to
	// each forwarded request, so the server app can tell the request came
	// through the bridge and which host the client asked for.
	Forwarded bool
	// Timeout bounds each whole exchange, streaming the response body
	// included. A request whose response head has not arrived by then is
	// answered 504 Gateway Timeout. Zero means no limit beyond the
	// client's own.
	Timeout time.Duration
	// MaxRequestHeaderBytes bounds a request's header section (the sum of
	// its field names and values). A larger one is answered 431 Request
	// Header Fields Too Large and not forwarded. Default
	// DefaultMaxHeaderBytes (64 KiB).
	MaxRequestHeaderBytes int
	// MaxRequestBodySize bounds a request's content. A declared larger
	// Content-Length is answered 413 Content Too Large at once; a
	// streamed body that grows past it aborts the stream and is answered
	// 413. Default DefaultMaxRequestBodySize (8 MiB); negative means no
	// limit. The server app's own limit (Server.MaxRequestBodySize) is
	// also answered 413. The 413's body says which limit was hit: "the
	// request body is above the bridge's limit of N bytes", or "the
	// server app refused the request body: " and the reason its RESET
	// gave (an httpipc Server names its limit).
	MaxRequestBodySize int64
	// AllowedHosts lists the host names (without port) a request's Host
	// may name. Empty means loopback names only: "localhost", names under
	// ".localhost" (such as DefaultHost) and loopback IP literals. "*"
	// allows any host. Another host is answered 421 Misdirected Request.
	// This stops DNS rebinding: a web page whose own name resolves to
	// 127.0.0.1 reaches the bridge, but with its own name in Host.
	AllowedHosts []string
	// AllowNonLoopback lets Listen and Serve use an address that is not
	// loopback. Leave it off: the bridge forwards every request it gets
	// into the server app's IPC service with the bridge's own identity,
	// so on a reachable address any host on the network would act as
	// the local client app, bypassing the caller check (PeerCheck, the
	// Binder calling uid) that guards the service.
	AllowNonLoopback bool
	// ErrorLog receives transport errors (their detail never reaches the
	// client); nil means log.Default().
	ErrorLog *log.Logger
}

// Bridge is the localhost bridge (httpipc spec §3.1): an http.Handler
// that forwards each request over an httpipc Transport (or any
// http.RoundTripper), so unchanged HTTP clients reach a server app
// through http://127.0.0.1:PORT/.
//
// It keeps the request's Host, removes hop-by-hop fields and any
// client-sent Forwarded and X-Forwarded-* fields (the server app could
// not tell them from the bridge's own), streams both bodies, and forwards
// 1xx responses and trailers. A transport failure is answered 502 Bad
// Gateway and a deadline 504 Gateway Timeout, with the status text as the
// only body (a 413 adds which limit was hit): error detail goes to
// ErrorLog, never to the client.
type Bridge struct {
	opts  BridgeOptions
	proxy *httputil.ReverseProxy
}

// NewBridge returns a Bridge forwarding through rt.
func NewBridge(rt http.RoundTripper, opts BridgeOptions) *Bridge {
	if opts.MaxRequestHeaderBytes <= 0 {
		opts.MaxRequestHeaderBytes = DefaultMaxHeaderBytes
	}
	if opts.MaxRequestBodySize == 0 {
		opts.MaxRequestBodySize = DefaultMaxRequestBodySize
	}
	opts.AllowedHosts = append([]string(nil), opts.AllowedHosts...)
	b := &Bridge{opts: opts}
	b.proxy = &httputil.ReverseProxy{
		Transport:     rt,
		Rewrite:       b.rewrite,
		FlushInterval: -1, // stream every write of the server app at once
		ErrorHandler:  b.proxyError,
		ErrorLog:      opts.ErrorLog,
	}
	return b
}

// bridgeKey carries a *bridgeRequest in the request context.
type bridgeKey struct{}

// bridgeRequest is what the error handler needs to know about a request.
type bridgeRequest struct {
	bodyTooLarge atomic.Bool
}

// ServeHTTP checks the request against the limits and forwards it.
func (b *Bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !b.hostAllowed(r.Host) {
		plainStatus(w, http.StatusMisdirectedRequest)
		return
	}
	if headerBytes(r) > b.opts.MaxRequestHeaderBytes {
		plainStatus(w, http.StatusRequestHeaderFieldsTooLarge)
		return
	}
	br := &bridgeRequest{}
	if max := b.opts.MaxRequestBodySize; max > 0 && r.Body != nil && r.Body != http.NoBody {
		if r.ContentLength > max {
			plainStatus(w, http.StatusRequestEntityTooLarge, b.bridgeLimitDetail())
			return
		}
		r.Body = &limitedBody{rc: r.Body, left: max, over: &br.bodyTooLarge}
	}
	ctx := context.WithValue(r.Context(), bridgeKey{}, br)
	if b.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.opts.Timeout)
		defer cancel()
	}
	b.proxy.ServeHTTP(w, r.WithContext(ctx))
}

func (b *Bridge) rewrite(pr *httputil.ProxyRequest) {
	host := pr.In.Host
	if host == "" {
		host = DefaultHost
	}
	pr.Out.URL.Scheme = "http"
	pr.Out.URL.Host = host
	pr.Out.Host = host
	pr.Out.Header.Del("Forwarded")
	if b.opts.Forwarded {
		proto := "http"
		if pr.In.TLS != nil {
			proto = "https"
		}
		pr.Out.Header.Set("Forwarded", "proto="+proto+";host="+forwardedValue(host))
	}
}

// forwardedValue returns v as an RFC 7239 value: a token, or else a
// quoted-string (a host with a port has a ':', which is not a tchar).
func forwardedValue(v string) string {
	for i := 0; i < len(v); i++ {
		if !isTchar(v[i]) {
			return strconv.Quote(v)
		}
	}
	return v
}

func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// headerBytes is the size of r's header section as httpipc counts it:
// field names plus values, Host included.
func headerBytes(r *http.Request) int {
	n := len("host") + len(r.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v)
		}
	}
	return n
}

func (b *Bridge) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if len(b.opts.AllowedHosts) == 0 {
		return isLoopbackName(host)
	}
	for _, a := range b.opts.AllowedHosts {
		if a == "*" || strings.EqualFold(a, host) {
			return true
		}
	}
	return false
}

// isLoopbackName reports whether host is a loopback IP literal,
// "localhost" or a name under ".localhost" (RFC 6761 §6.3). An empty
// host (an HTTP/1.0 client) is the bridge's own address.
func isLoopbackName(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// plainStatus answers status with its text as the whole body, followed by
// ": detail" if detail is not empty.
func plainStatus(w http.ResponseWriter, status int, detail ...string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	msg := http.StatusText(status)
	if len(detail) > 0 && detail[0] != "" {
		msg += ": " + detail[0]
	}
	w.Write([]byte(msg + "\n"))
}
