package afbproto

import (
	"context"
	"errors"
	"fmt"

	"github.com/appwire/appwire/internal/wsconn"
)

// maxKeptReadBuffer is the largest read buffer the read loop keeps between
// messages; a larger one (a big reply) is let go.
const maxKeptReadBuffer = 64 << 10

// readLoop reads frames until the connection ends, hands replies to their
// calls and events to the channel, and fails the client with the reason.
func (c *WSClient) readLoop() {
	defer close(c.loopDone)
	defer close(c.events)
	defer c.conn.CloseNow()
	var (
		buf []byte
		f   Frame
	)
	for {
		// No deadline: the loop ends when the connection is closed.
		op, msg, err := c.conn.ReadMessage(context.Background(), buf[:0])
		if err != nil {
			c.fail(readError(err))
			return
		}
		if cap(msg) <= maxKeptReadBuffer {
			buf = msg
		}
		if op != wsconn.Text {
			c.violation(wsconn.StatusUnsupportedData, fmt.Errorf("%w: binary message", ErrServerProtocol))
			return
		}
		if err := c.handle(&f, msg); err != nil {
			c.violation(wsconn.StatusPolicyViolation, fmt.Errorf("%w: %w", ErrServerProtocol, err))
			return
		}
	}
}

// readError maps the error that ended the read loop.
func readError(err error) error {
	switch {
	case errors.Is(err, wsconn.ErrMessageTooBig):
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	case errors.Is(err, wsconn.ErrProtocol):
		return fmt.Errorf("%w: %w", ErrServerProtocol, err)
	}
	return err
}

// violation fails the client because the server broke the protocol, then
// closes the connection with code, as the reference server does with a
// malformed frame.
func (c *WSClient) violation(code wsconn.StatusCode, err error) {
	c.fail(err)
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.CloseTimeout)
	defer cancel()
	_ = c.conn.Close(ctx, code, "")
}

// handle processes one text message. An error means the server broke the
// protocol.
func (c *WSClient) handle(f *Frame, msg []byte) error {
	if err := f.Parse(msg); err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	switch f.Type {
	case FrameReplyOK, FrameReplyError:
		return c.handleReply(f)
	case FrameEvent:
		return c.handleEvent(f)
	default: // a call: this client serves nothing
		c.ignored.Add(1)
		return nil
	}
}

func (c *WSClient) handleReply(f *Frame) error {
	r := new(Reply)
	if err := ParseReply(clone(f.Payload), r); err != nil {
		return err
	}
	tok := r.Token
	if f.Token != nil {
		s, ok := jsonString(quoted(f.Token))
		if !ok {
			return perr(ErrUnsafeText, 0, "reply token")
		}
		if s != "" {
			tok = s
		}
	}
	c.sess.learn(tok, r.UUID)

	c.mu.Lock()
	ch, ok := c.pending[string(f.ID)]
	if ok {
		delete(c.pending, string(f.ID))
	}
	c.mu.Unlock()
	if !ok {
		c.late.Add(1)
		return nil
	}
	reply, err := replyResult(r, 0)
	ch <- callResult{reply: reply, err: err}
	return nil
}

func (c *WSClient) handleEvent(f *Frame) error {
	var e EventMsg
	if err := ParseEvent(clone(f.Payload), &e); err != nil {
		return err
	}
	if c.opts.EventBuffer < 0 {
		c.dropped.Add(1)
		return nil
	}
	select {
	case c.events <- e:
	default:
		c.dropped.Add(1)
	}
	return nil
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

func quoted(b []byte) []byte {
	q := make([]byte, 0, len(b)+2)
	q = append(q, '"')
	q = append(q, b...)
	return append(q, '"')
}
