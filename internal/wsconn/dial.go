package wsconn

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/gobwas/ws"
)

// DialOptions configures Dial. The zero value is usable.
type DialOptions struct {
	// Protocols is the Sec-WebSocket-Protocol list offered, in order of
	// preference. Empty sends no such header.
	Protocols []string

	// Header holds extra request headers (cookies, tokens, ...).
	Header http.Header

	// ReadLimit is the largest message ReadMessage accepts; zero means
	// DefaultReadLimit.
	ReadLimit int64

	// AllowUnofferedProtocol accepts a 101 response whose
	// Sec-WebSocket-Protocol was not offered (RFC 6455 says to fail; some
	// servers, afb-daemon among them, always send theirs).
	AllowUnofferedProtocol bool

	// NetDial replaces net.Dialer.DialContext, e.g. to reach a unix socket.
	NetDial func(ctx context.Context, network, addr string) (net.Conn, error)

	// TLSConfig is used for wss:// and https:// URLs.
	TLSConfig *tls.Config
}

// Dial opens a WebSocket connection to rawURL (ws, wss, http or https
// scheme). The context bounds the connect and the handshake. A response
// other than a valid 101 gives a *HandshakeError carrying the HTTP status
// and headers.
func Dial(ctx context.Context, rawURL string, opts DialOptions) (*Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("wsconn: bad URL: %w", err)
	}
	secure := false
	switch u.Scheme {
	case "ws", "http":
	case "wss", "https":
		secure = true
	default:
		return nil, fmt.Errorf("wsconn: bad URL scheme %q", u.Scheme)
	}
	addr := u.Host
	if u.Port() == "" {
		port := "80"
		if secure {
			port = "443"
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	dial := opts.NetDial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	nc, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if secure {
		cfg := opts.TLSConfig.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	c, err := handshake(ctx, nc, u, opts)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

func handshake(ctx context.Context, nc net.Conn, u *url.URL, opts DialOptions) (c *Conn, err error) {
	done := deadline(ctx, nc.SetDeadline)
	defer func() {
		if done() && ctx.Err() != nil {
			err = ctx.Err()
		}
	}()
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])

	hu := *u
	hu.Scheme = "http"
	req := &http.Request{
		Method:     http.MethodGet,
		URL:        &hu,
		Host:       u.Host,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     make(http.Header, len(opts.Header)+5),
	}
	for k, v := range opts.Header {
		req.Header[k] = v
	}
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Sec-WebSocket-Key", key)
	req.Header.Set("Sec-WebSocket-Version", "13")
	if len(opts.Protocols) > 0 {
		req.Header.Set("Sec-WebSocket-Protocol", strings.Join(opts.Protocols, ", "))
	}
	if err := req.Write(nc); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(nc, 4096)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, &HandshakeError{Header: http.Header{}, Reason: err.Error()}
	}
	fail := func(reason string) error {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return &HandshakeError{StatusCode: resp.StatusCode, Header: resp.Header, Body: body, Reason: reason}
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, fail("expected 101 Switching Protocols")
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		return nil, fail("missing Upgrade: websocket")
	}
	if !headerHasToken(resp.Header, "Connection", "upgrade") {
		return nil, fail("missing Connection: Upgrade")
	}
	if resp.Header.Get("Sec-WebSocket-Accept") != AcceptKey(key) {
		return nil, fail("bad Sec-WebSocket-Accept")
	}
	proto := resp.Header.Get("Sec-WebSocket-Protocol")
	if proto != "" && !opts.AllowUnofferedProtocol && !contains(opts.Protocols, proto) {
		return nil, fail(fmt.Sprintf("server chose subprotocol %q, which was not offered", proto))
	}
	c = newConn(nc, br, ws.StateClientSide, opts.ReadLimit)
	c.protocol = proto
	c.header = resp.Header
	return c, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// AcceptKey computes Sec-WebSocket-Accept for a Sec-WebSocket-Key
// (RFC 6455 section 4.2.2).
func AcceptKey(key string) string {
	h := sha1.New()
	io.WriteString(h, key)
	io.WriteString(h, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}
