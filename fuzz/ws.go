package fuzz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/internal/wsconn"
)

// probeID is the ID of the call that follows an input that must be
// ignored.
const probeID = "fuzz-probe"

func (r *runner) dialWS(ctx context.Context) (*wsconn.Conn, error) {
	h := http.Header{"X-Afb-Uuid": {r.opts.UUID}}
	if r.opts.Token != "" {
		h.Set("X-Afb-Token", r.opts.Token)
	}
	return wsconn.Dial(ctx, r.wsURL, wsconn.DialOptions{
		Protocols: []string{afbproto.Subprotocol}, Header: h, AllowUnofferedProtocol: true,
	})
}

// runWS sends one WebSocket input on a fresh connection and judges the
// answer. A connection that cannot be opened is not judged here: the
// liveness probe after the batch is.
func (r *runner) runWS(ctx context.Context, in *wsInput) *Violation {
	ictx, cancel := context.WithTimeout(ctx, r.opts.InputTimeout)
	defer cancel()
	c, err := r.dialWS(ictx)
	if err != nil {
		return nil
	}
	defer c.CloseNow()
	if err := c.WriteRaw(ictx, in.Wire); err != nil {
		return nil // the peer may close before reading everything
	}
	if in.expect == expectNothing {
		return nil
	}
	if in.expect == expectIgnored {
		probe := afbproto.AppendCall(nil, probeID, r.probeAPI, r.probeVerb, nil, "")
		if err := c.WriteText(ictx, probe); err != nil {
			return r.wsViolation(in, "the write of a call after it failed: "+err.Error())
		}
	}
	var f afbproto.Frame
	for {
		_, msg, err := c.ReadMessage(ictx, nil)
		if err != nil {
			if runOver(ctx) {
				return nil // the run is over, not the peer's fault
			}
			return r.judgeEnd(in, ictx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded), err)
		}
		if err := f.Parse(msg); err != nil {
			return &Violation{Level: Must, Rule: "afb §4.2: the server sends well-formed frames",
				Got: "malformed frame " + quoteShort(msg, 200) + ": " + err.Error(), Input: &in.Input}
		}
		if f.Type != afbproto.FrameReplyOK && f.Type != afbproto.FrameReplyError {
			continue // events of other connections' broadcasts, calls
		}
		switch in.expect {
		case expectReply:
			if bytes.Equal(f.ID, in.id) {
				return nil
			}
			return r.wsViolation(in, fmt.Sprintf("a reply to ID %q, which was never sent", f.ID))
		case expectIgnored:
			if string(f.ID) == probeID {
				return nil
			}
			return r.wsViolation(in, "a reply: "+quoteShort(msg, 200))
		default:
			return r.wsViolation(in, "a reply: "+quoteShort(msg, 200))
		}
	}
}

// judgeEnd judges a connection that ended (or timed out) before the
// expected answer.
func (r *runner) judgeEnd(in *wsInput, timedOut bool, err error) *Violation {
	code := wsconn.CloseStatus(err)
	what := fmt.Sprintf("the connection closed with %d", code)
	switch {
	case timedOut:
		what = fmt.Sprintf("nothing within %s", r.opts.InputTimeout)
	case code < 0:
		what = "the connection dropped without a close frame (" + err.Error() + ")"
	}
	switch in.expect {
	case expectFail:
		if timedOut {
			return r.wsViolation(in, what)
		}
		return nil
	case expectClose:
		if code == int(wsconn.StatusPolicyViolation) {
			return nil
		}
		if errors.Is(err, wsconn.ErrProtocol) {
			what = "a broken WebSocket stream: " + err.Error()
		}
	}
	return r.wsViolation(in, what)
}

func (r *runner) wsViolation(in *wsInput, got string) *Violation {
	rule := map[expect]string{
		expectReply:   "afb §4.2: a valid call is answered with a reply carrying its ID",
		expectClose:   "afb §4.2: a malformed frame (or a reply to an unknown ID) is answered with close 1008 and no reply",
		expectFail:    "RFC 6455 §5.1, §5.2, §8.1: a broken frame or invalid UTF-8 fails the connection, with no reply",
		expectIgnored: "afb §4.2: an event sent by the client is ignored; the next call is answered",
	}[in.expect]
	return &Violation{Level: Must, Rule: rule, Got: got, Input: &in.Input}
}

// runOver reports whether the run's context ended, or is about to: a
// socket deadline taken from it can fire before the context notices.
func runOver(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}
