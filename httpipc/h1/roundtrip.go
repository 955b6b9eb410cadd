package h1

import (
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/appwire/appwire/httpipc"
)

// ErrBroken is returned by RoundTrip once a reply was lost or late: with no
// correlation ID, a reply that might still arrive would answer the next
// request, so the connection is closed and never used again.
var ErrBroken = errors.New("h1: connection broken")

// ErrMessageTooLarge: an encoded request exceeds Conn.MaxMessageSize.
// Nothing was sent, and the connection stays usable.
var ErrMessageTooLarge = errors.New("h1: message too large for the connection")

// RoundTripper is an http.RoundTripper that speaks UstadMobile's
// httpoveripc protocol over a MessageConn: one HTTP/1.1 request per
// message, answered by one HTTP/1.1 response per message, in order, with no
// correlation ID.
//
// Unlike the upstream client it never wedges and never mis-pairs: requests
// take turns (waiting for a turn honours the request context), each
// exchange is bounded by the request context, and a send or receive that
// fails or is cut short by the context closes Conn and fails this and
// every later request with ErrBroken, since a late reply would otherwise
// be taken for the answer to the next request. Transport failures are Go
// errors, never synthesized HTTP responses.
//
// The zero value is not usable: set Conn. Limits bounds responses.
type RoundTripper struct {
	Conn   httpipc.MessageConn
	Limits Limits

	once   sync.Once
	turn   chan struct{} // one token: the right to an exchange
	mu     sync.Mutex
	broken error
}

// RoundTrip sends req and returns its response. The response body is
// fully buffered.
func (t *RoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	t.once.Do(func() {
		t.turn = make(chan struct{}, 1)
		t.turn <- struct{}{}
	})
	select {
	case <-t.turn:
	case <-ctx.Done():
		closeBody(req)
		return nil, ctx.Err()
	}
	defer func() { t.turn <- struct{}{} }()
	if err := t.err(); err != nil {
		closeBody(req)
		return nil, err
	}
	msg, err := AppendHTTPRequest(nil, req, t.Limits)
	if err != nil {
		return nil, err
	}
	if max := t.Conn.MaxMessageSize(); max > 0 && len(msg) > max {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, len(msg), max)
	}
	if err := t.Conn.Send(ctx, msg); err != nil {
		return nil, t.fail("send", err)
	}
	reply, err := t.Conn.Recv(ctx)
	if err != nil {
		return nil, t.fail("receive", err)
	}
	// The reply belongs to req even if it is invalid: the pairing holds.
	resp, err := DecodeHTTPResponse(reply, req.Method, t.Limits)
	if err != nil {
		return nil, err
	}
	resp.Request = req
	return resp, nil
}

func (t *RoundTripper) err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.broken
}

// fail marks the connection broken for good and closes it.
func (t *RoundTripper) fail(op string, cause error) error {
	err := fmt.Errorf("%w: %s: %w", ErrBroken, op, cause)
	t.mu.Lock()
	first := t.broken == nil
	if first {
		t.broken = err
	}
	t.mu.Unlock()
	if first {
		_ = t.Conn.Close()
	}
	return err
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}
