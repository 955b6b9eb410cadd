package wsconn

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gobwas/ws"
)

// IsUpgrade reports whether r is a WebSocket opening handshake: GET over
// HTTP/1.1, Upgrade: websocket (any case), a Connection header containing
// the token "upgrade", and both Sec-WebSocket-Key and
// Sec-WebSocket-Version present. It does not check the version value.
func IsUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet &&
		r.ProtoAtLeast(1, 1) &&
		headerHasToken(r.Header, "Upgrade", "websocket") &&
		headerHasToken(r.Header, "Connection", "upgrade") &&
		r.Header.Get("Sec-WebSocket-Key") != "" &&
		r.Header.Get("Sec-WebSocket-Version") != ""
}

// Protocols returns the subprotocols offered in h, split on spaces, tabs
// and commas across every Sec-WebSocket-Protocol line. Empty entries are
// dropped.
func Protocols(h http.Header) []string {
	var out []string
	for _, line := range h.Values("Sec-WebSocket-Protocol") {
		out = append(out, strings.FieldsFunc(line, func(r rune) bool {
			return r == ' ' || r == '\t' || r == ','
		})...)
	}
	return out
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, line := range h.Values(name) {
		for _, t := range strings.Split(line, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// UpgradeOptions configures Upgrade.
type UpgradeOptions struct {
	// Protocol is sent as Sec-WebSocket-Protocol when not empty. The
	// caller chose it; Upgrade does not look at what was offered.
	Protocol string

	// Header holds extra response headers (e.g. Set-Cookie).
	Header http.Header

	// ReadLimit is the largest message ReadMessage accepts; zero means
	// DefaultReadLimit.
	ReadLimit int64

	// AllowUnmasked accepts client frames that are not masked, which RFC
	// 6455 §5.1 says a server must refuse (1002). Some old clients (the
	// 2019 afb-daemon client library) never mask, and their servers
	// accepted it. Masked frames are unmasked as usual.
	AllowUnmasked bool
}

// ErrNotUpgrade is returned by Upgrade when the request is not a version
// 13 opening handshake; nothing has been written.
var ErrNotUpgrade = errors.New("wsconn: not a WebSocket version 13 upgrade request")

// Upgrade answers r with 101 Switching Protocols and returns the server
// side connection. Policy (tokens, subprotocol choice, status codes for
// refusals) is the caller's: check the request first, then call Upgrade.
// The caller owns the returned Conn; the http.Handler may return at once.
func Upgrade(w http.ResponseWriter, r *http.Request, opts UpgradeOptions) (*Conn, error) {
	nc, rw, err := upgrade(w, r, opts)
	if err != nil {
		return nil, err
	}
	c := newConn(nc, rw.Reader, ws.StateServerSide, opts.ReadLimit)
	c.protocol = opts.Protocol
	c.allowUnmasked = opts.AllowUnmasked
	return c, nil
}

// UpgradeRaw is Upgrade for servers that do their own framing and keep
// no per-connection buffers (SimplePush parks idle sockets in epoll): it
// answers 101 and returns the hijacked connection and a copy of the bytes
// the HTTP server had already read past the handshake (usually none),
// which come first in the WebSocket stream. The HTTP server's buffers are
// not retained. opts.ReadLimit is not used.
func UpgradeRaw(w http.ResponseWriter, r *http.Request, opts UpgradeOptions) (net.Conn, []byte, error) {
	nc, rw, err := upgrade(w, r, opts)
	if err != nil {
		return nil, nil, err
	}
	var early []byte
	if n := rw.Reader.Buffered(); n > 0 {
		early = make([]byte, n)
		_, _ = io.ReadFull(rw.Reader, early) // buffered: cannot fail
	}
	return nc, early, nil
}

// upgrade checks r, hijacks the connection and writes the 101 response.
func upgrade(w http.ResponseWriter, r *http.Request, opts UpgradeOptions) (net.Conn, *bufio.ReadWriter, error) {
	if !IsUpgrade(r) || r.Header.Get("Sec-WebSocket-Version") != "13" {
		return nil, nil, ErrNotUpgrade
	}
	key := r.Header.Get("Sec-WebSocket-Key")
	nc, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, nil, err
	}
	bw := rw.Writer
	bw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
	bw.WriteString(AcceptKey(key))
	bw.WriteString("\r\n")
	if opts.Protocol != "" {
		bw.WriteString("Sec-WebSocket-Protocol: " + opts.Protocol + "\r\n")
	}
	opts.Header.Write(bw)
	bw.WriteString("\r\n")
	if err := bw.Flush(); err != nil {
		nc.Close()
		return nil, nil, err
	}
	_ = nc.SetDeadline(time.Time{}) // drop the http.Server's timeouts
	return nc, rw, nil
}
