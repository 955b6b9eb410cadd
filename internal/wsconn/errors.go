package wsconn

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gobwas/ws"
)

var (
	// ErrMessageTooBig is returned by ReadMessage when the peer announces
	// or sends a message longer than the read limit. The connection has
	// been closed with 1009 (message too big).
	ErrMessageTooBig = errors.New("wsconn: message too big")

	// ErrProtocol is returned (wrapped) when the peer breaks RFC 6455:
	// bad frame header, missing or unexpected mask, bad fragmentation,
	// invalid UTF-8 in a text message. The connection has been closed
	// with 1002 or 1007.
	ErrProtocol = errors.New("wsconn: protocol error")

	// ErrClosed is returned by calls on a connection that this side
	// already closed.
	ErrClosed = errors.New("wsconn: connection closed")

	// ErrHandshake is wrapped by every *HandshakeError.
	ErrHandshake = errors.New("wsconn: handshake failed")
)

// StatusCode is a WebSocket close code (RFC 6455 section 7.4).
type StatusCode = ws.StatusCode

// Close codes used by the appwire servers.
const (
	StatusNormalClosure   StatusCode = 1000
	StatusGoingAway       StatusCode = 1001
	StatusProtocolError   StatusCode = 1002
	StatusUnsupportedData StatusCode = 1003
	StatusNoStatus        StatusCode = 1005 // never sent; reported when a close frame had no code
	StatusInvalidPayload  StatusCode = 1007
	StatusPolicyViolation StatusCode = 1008
	StatusMessageTooBig   StatusCode = 1009
	StatusInternalError   StatusCode = 1011
)

// CloseError is returned by ReadMessage when the peer sent a close frame.
type CloseError struct {
	Code   StatusCode // StatusNoStatus when the frame carried no code
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("wsconn: closed by peer: %d %q", e.Code, e.Reason)
}

// CloseStatus returns the close code carried by err (a *CloseError
// anywhere in its chain), or -1 when err is not a close.
func CloseStatus(err error) int {
	var ce *CloseError
	if errors.As(err, &ce) {
		return int(ce.Code)
	}
	return -1
}

// HandshakeError is returned by Dial when the server answered the upgrade
// request with something other than a valid 101 response. StatusCode is 0
// when no HTTP response was read at all.
type HandshakeError struct {
	StatusCode int         // HTTP status of the response, e.g. 401, 412, 426
	Header     http.Header // response headers, never nil
	Body       []byte      // at most 4 KiB of the response body
	Reason     string      // what was wrong, for humans
}

func (e *HandshakeError) Error() string {
	if e.StatusCode == 0 {
		return "wsconn: handshake failed: " + e.Reason
	}
	return fmt.Sprintf("wsconn: handshake failed: HTTP %d: %s", e.StatusCode, e.Reason)
}

// Unwrap makes errors.Is(err, ErrHandshake) true.
func (e *HandshakeError) Unwrap() error { return ErrHandshake }

// HandshakeStatus returns the HTTP status of a failed handshake (a
// *HandshakeError anywhere in err's chain), or 0.
func HandshakeStatus(err error) int {
	var he *HandshakeError
	if errors.As(err, &he) {
		return he.StatusCode
	}
	return 0
}
