package kit

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/wsconn"
)

// MaxMessage bounds what the kit reads of one WebSocket message or one
// HTTP body unless told otherwise, so a hostile target cannot make a case
// buffer without bound.
const MaxMessage = 256 << 10

// DialOptions configures a WebSocket dial.
type DialOptions struct {
	// Protocols is the Sec-WebSocket-Protocol list offered, in order.
	Protocols []string
	// Header holds extra handshake headers, sent as given (cookies,
	// tokens, a Sec-WebSocket-Version of the case's choosing).
	Header http.Header
	// AllowUnofferedProtocol accepts a 101 naming a subprotocol that was
	// not offered (afb-daemon always names its own).
	AllowUnofferedProtocol bool
	// ReadLimit bounds one message; 0 means MaxMessage.
	ReadLimit int64
}

// WS is one WebSocket connection to the target, every message recorded in
// the case's wire log. It is closed when the case's context ends.
type WS struct {
	t    *conformance.T
	ctx  context.Context
	c    *wsconn.Conn
	last []byte
}

// connTracker dials TCP and remembers whether a connection was made, so a
// target that cannot be reached (Error) is told from one that accepted the
// connection and then misbehaved (Fail). net/http may still be dialing
// when the request has already failed, hence the atomic.
type connTracker struct{ ok atomic.Bool }

func (d *connTracker) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err == nil {
		d.ok.Store(true)
	}
	return c, err
}

// connected reports whether a connection was made.
func (d *connTracker) connected() bool { return d.ok.Load() }

// TryDial opens a WebSocket to url (ws, wss, http or https). A target that
// cannot be reached ends the case with Error; a refused or broken
// handshake is returned (a *wsconn.HandshakeError carries the status),
// for the case to judge.
func TryDial(ctx context.Context, t *conformance.T, url string, opts DialOptions) (*WS, error) {
	d := &connTracker{}
	limit := opts.ReadLimit
	if limit <= 0 {
		limit = MaxMessage
	}
	t.Sent("GET %s (WebSocket upgrade%s)", url, headerNote(protocolHeader(opts.Protocols, opts.Header)))
	c, err := wsconn.Dial(ctx, url, wsconn.DialOptions{
		Protocols:              opts.Protocols,
		Header:                 opts.Header,
		ReadLimit:              limit,
		AllowUnofferedProtocol: opts.AllowUnofferedProtocol,
		NetDial:                d.dial,
	})
	if err != nil {
		if !d.connected() {
			t.Errorf("cannot reach the target: %v", err)
		}
		t.Received("%s", HandshakeText(err))
		return nil, err
	}
	t.Received("HTTP 101%s", headerNote(http.Header{"Sec-WebSocket-Protocol": c.HandshakeHeader().Values("Sec-WebSocket-Protocol")}))
	w := &WS{t: t, ctx: ctx, c: c}
	context.AfterFunc(ctx, func() { c.CloseNow() })
	return w, nil
}

// Dial is TryDial for a case that needs the connection: a refused
// handshake fails the case, with expect as the expected behaviour.
func Dial(ctx context.Context, t *conformance.T, url string, opts DialOptions, expect string) *WS {
	w, err := TryDial(ctx, t, url, opts)
	if err != nil {
		t.Failf(expect, "%s", HandshakeText(err))
	}
	return w
}

func protocolHeader(p []string, h http.Header) http.Header {
	out := h.Clone()
	if len(p) > 0 {
		if out == nil {
			out = http.Header{}
		}
		out["Sec-WebSocket-Protocol"] = []string{strings.Join(p, ", ")}
	}
	return out
}

// headerNote renders headers as " [K: v] [K: v]" in name order.
func headerNote(h http.Header) string {
	keys := make([]string, 0, len(h))
	for k, v := range h {
		if len(v) > 0 && strings.Join(v, "") != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " [%s: %s]", k, strings.Join(h[k], " | "))
	}
	return b.String()
}

// Conn returns the underlying connection, for what the kit does not
// wrap (raw frames, the negotiated protocol, the 101's headers).
func (w *WS) Conn() *wsconn.Conn { return w.c }

// WithContext returns w bound to ctx, a context derived from the case's
// (a shorter wait than the case's timeout): its reads and writes end at
// ctx. The connection is shared; a read cut short by ctx leaves it
// unusable.
func (w *WS) WithContext(ctx context.Context) *WS {
	c := *w
	c.ctx = ctx
	return &c
}

// Protocol returns the subprotocol the 101 named ("" for none).
func (w *WS) Protocol() string { return w.c.HandshakeHeader().Get("Sec-WebSocket-Protocol") }

// Send writes one text message; a failed write fails the case.
func (w *WS) Send(msg string) {
	w.t.Sent("%s", msg)
	if err := w.c.WriteText(w.ctx, []byte(msg)); err != nil {
		w.t.Notef("write: %v", err)
		w.t.Failf("the connection stays open", "writing failed: %s", CloseText(w.ctx, err))
	}
}

// SendJSON writes v encoded as JSON in one text message.
func (w *WS) SendJSON(v any) {
	b, err := json.Marshal(v)
	w.t.Check(err, "encoding a message")
	w.Send(string(b))
}

// Next reads the next data message and records it; err is what ended the
// read (a close, a dropped connection, the case timeout), recorded as a
// note and described by CloseText. Errors are final: after one, every
// read returns it again.
func (w *WS) Next() ([]byte, error) {
	return w.next(w.ctx)
}

func (w *WS) next(ctx context.Context) ([]byte, error) {
	op, msg, err := w.c.ReadMessage(ctx, nil)
	if err != nil {
		w.t.Notef("%s", CloseText(ctx, err))
		return nil, err
	}
	if op == wsconn.Binary {
		w.t.Received("(binary, %d bytes) %s", len(msg), hex.EncodeToString(msg[:min(len(msg), 64)]))
	} else {
		w.t.Received("%s", msg)
	}
	w.last = msg
	return msg, nil
}

// Read returns the next data message; a close, a dropped connection or
// the case timeout fails the case, with expect as what was expected.
func (w *WS) Read(expect string) []byte {
	msg, err := w.Next()
	if err != nil {
		w.Failed(expect, err)
	}
	return msg
}

// Failed ends the case with Fail after a read or write ended with err:
// expect was expected, CloseText(err) is what happened.
func (w *WS) Failed(expect string, err error) {
	w.t.Failf(expect, "%s", CloseText(w.ctx, err))
}

// ReadWithin is Next with a deadline d from now (or the case's, if
// sooner), for "nothing arrives within d" checks: TimedOut tells the
// timeout apart. A timed-out read leaves the connection unusable.
func (w *WS) ReadWithin(d time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(w.ctx, d)
	defer cancel()
	return w.next(ctx)
}

// Last returns the last message read, for an "actual" line.
func (w *WS) Last() string { return fmt.Sprintf("%.300s", w.last) }

// ExpectClose reads until the target ends the connection and fails the
// case unless it sent a close frame with code (code < 0: any close frame
// or a dropped connection will do). Messages for which skip reports true
// (broadcasts meant for other cases) are read past; any other message,
// and the case timeout, fail the case.
func (w *WS) ExpectClose(code int, expect string, skip func(msg []byte) bool) {
	for {
		msg, err := w.Next()
		if err == nil {
			if skip != nil && skip(msg) {
				continue
			}
			w.t.Failf(expect, "received %.200s", msg)
		}
		switch {
		case TimedOut(w.ctx, err):
			w.t.Failf(expect, "the connection is still open at the case timeout")
		case code >= 0 && wsconn.CloseStatus(err) != code:
			w.t.Failf(expect, "%s", CloseText(w.ctx, err))
		}
		return
	}
}

// Close ends the connection politely (a close frame, then a short wait
// for the target's).
func (w *WS) Close() {
	ctx, cancel := context.WithTimeout(w.ctx, 500*time.Millisecond)
	defer cancel()
	_ = w.c.Close(ctx, wsconn.StatusNormalClosure, "")
}

// CloseText describes why a read or write ended, in the words every suite
// uses in its "actual" lines: a close frame and its code, the case
// timeout, a connection dropped without a close frame.
func CloseText(ctx context.Context, err error) string {
	switch {
	case wsconn.CloseStatus(err) >= 0:
		return fmt.Sprintf("connection closed with code %d", wsconn.CloseStatus(err))
	case TimedOut(ctx, err):
		return "nothing received before the case timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return "connection dropped without a close frame"
	}
	return err.Error()
}

// HandshakeText describes a failed WebSocket handshake: the HTTP status
// and what was wrong when the target answered, the error otherwise.
func HandshakeText(err error) string {
	var he *wsconn.HandshakeError
	if errors.As(err, &he) && he.StatusCode != 0 {
		return fmt.Sprintf("HTTP %d (%s)", he.StatusCode, he.Reason)
	}
	return err.Error()
}

// TimedOut reports whether an I/O error came from ctx ending (the read
// deadline set from ctx may fire just before ctx reports it).
func TimedOut(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)
}
