package simplepush

import (
	"bytes"
	"errors"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
)

// handle answers one client message. It reports false when the
// connection was closed.
func (s *Server) handle(c *conn, p []byte) bool {
	d := s.opts.Dialect
	if d == DialectPushgo && len(bytes.TrimSpace(p)) == 0 {
		return true // pushgo skips empty messages and keeps serving
	}
	m, err := ParseClientMessage(p, d)
	if errors.Is(err, ErrMalformed) {
		c.close(wsconn.StatusNormalClosure, "")
		return false
	}
	if err != nil {
		if d == DialectAutopush && errors.Is(err, ErrInvalidHeader) {
			c.closeNow() // a missing or non-string messageType: as an unknown one
			return false
		}
		return s.fail(c, p, err, true)
	}
	c.mu.Lock()
	helloed := c.uaid != ""
	c.mu.Unlock()
	switch m.Type {
	case TypeHello:
		return s.hello(c, p, m, helloed)
	case TypePing:
		return s.ping(c, p, m, helloed)
	case TypePurge, TypeNack:
		return true // pushgo's purge and autopush's nack: no-ops
	case TypeUnknown:
		if d == DialectAutopush {
			// autopush closes on an unknown or missing messageType,
			// before or after hello, without a reply (sendClose).
			c.closeNow()
			return false
		}
		return s.fail(c, p, errCode(CodeUnsupportedType, m.TypeText), true)
	}
	if !helloed {
		if d == DialectAutopush {
			c.closeNow()
			return false
		}
		return s.fail(c, p, ErrNoHandshake, true)
	}
	switch m.Type {
	case TypeRegister:
		return s.register(c, p, m)
	case TypeUnregister:
		return s.unregister(c, p, m)
	case TypeAck:
		return s.ack(c, p, m)
	}
	return s.fail(c, p, errCode(CodeUnsupportedType, m.TypeText), true)
}

// fail answers a bad command. pushgo echoes the request with "status" and
// "error" and closes; autopush answers with "reason" and keeps the socket
// open for register/unregister errors (fatal=false), closing otherwise.
func (s *Server) fail(c *conn, req []byte, err error, fatal bool) bool {
	code := CodeOf(err)
	b := getBuf()
	*b = AppendErrorReply((*b)[:0], req, code.Status(), code.String(), s.opts.Dialect)
	werr := c.writeText(*b)
	putBuf(b)
	if werr != nil {
		return false
	}
	if s.opts.Dialect == DialectAutopush && !fatal {
		return true
	}
	c.close(wsconn.StatusNormalClosure, "")
	return false
}

func (s *Server) ping(c *conn, req []byte, m *ClientMessage, helloed bool) bool {
	now := s.opts.Clock.Now().UnixNano()
	c.mu.Lock()
	last := c.lastPing
	c.lastPing = now
	c.mu.Unlock()
	if s.opts.MinPingInterval > 0 && last != 0 && time.Duration(now-last) < s.opts.MinPingInterval {
		if s.opts.Dialect == DialectAutopush {
			c.close(CloseNoReconnect, "too many pings")
			return false
		}
		if m.TypeText == "" {
			req = []byte(`{"messageType":"ping"}`) // the bare {} echoes nothing
		}
		return s.fail(c, req, ErrTooManyPings, true)
	}
	if s.opts.Dialect == DialectAutopush && !helloed {
		c.closeNow()
		return false
	}
	reply := ServerMessage{Type: TypePing}
	if s.opts.LongPongs || m.TypeText != "" {
		reply.Status = 200 // a typed ping gets a typed pong
	}
	return c.writeMessage(&reply) == nil
}

func (s *Server) register(c *conn, req []byte, m *ClientMessage) bool {
	d := s.opts.Dialect
	if !m.HasChannelID || m.ChannelID == "" {
		return s.fail(c, req, ErrNoChannel, false)
	}
	if !ValidChannelID(m.ChannelID, d) || len(m.ChannelID) > maxChannelIDLen {
		return s.fail(c, req, errCode(CodeInvalidParams, "invalid channel ID"), false)
	}
	uaid := c.user()
	ctx, cancel := s.storeCtx()
	defer cancel()
	err := s.opts.Store.Register(ctx, uaid, m.ChannelID)
	if errors.Is(err, ErrUnknownUAID) {
		// The user record expired under a live socket: recreate it.
		if _, err = s.opts.Store.Connect(ctx, uaid, c.route()); err == nil {
			err = s.opts.Store.Register(ctx, uaid, m.ChannelID)
		}
	}
	if err != nil {
		s.logf("simplepush: register %s: %v", uaid, err)
		return s.storeFailed(c, m, err)
	}
	tok, err := s.tokens.Seal(uaid, m.ChannelID)
	if err != nil {
		return s.storeFailed(c, m, err)
	}
	prefix := s.opts.EndpointURL
	if prefix == "" {
		prefix = c.endpoint
	}
	reply := ServerMessage{Type: TypeRegister, ChannelID: m.ChannelID, Status: 200, PushEndpoint: prefix + tok}
	if d == DialectPushgo {
		reply.UAID = uaid
	}
	return c.writeMessage(&reply) == nil
}

// storeFailed answers 500 (autopush's "An unexpected server error
// occurred"; pushgo's code 999) and keeps the socket.
func (s *Server) storeFailed(c *conn, m *ClientMessage, err error) bool {
	reply := ServerMessage{Type: m.Type, ChannelID: m.ChannelID, Status: 500}
	if s.opts.Dialect == DialectAutopush {
		reply.Reason = "An unexpected server error occurred"
	} else {
		reply.Error = ErrServerError.(*Error).Code.String()
	}
	return c.writeMessage(&reply) == nil
}

func (s *Server) unregister(c *conn, req []byte, m *ClientMessage) bool {
	if !m.HasChannelID || m.ChannelID == "" {
		return s.fail(c, req, ErrNoChannel, false)
	}
	if !ValidChannelID(m.ChannelID, s.opts.Dialect) {
		return s.fail(c, req, errCode(CodeInvalidParams, "invalid channel ID"), false)
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	if err := s.opts.Store.Unregister(ctx, c.user(), m.ChannelID); err != nil {
		s.logf("simplepush: unregister: %v", err)
		return s.storeFailed(c, m, err)
	}
	return c.writeMessage(&ServerMessage{Type: TypeUnregister, ChannelID: m.ChannelID, Status: 200}) == nil
}

func (s *Server) ack(c *conn, req []byte, m *ClientMessage) bool {
	if len(m.Updates) == 0 && len(m.Expired) == 0 {
		if s.opts.Dialect == DialectAutopush {
			return true // autopush ignores malformed acks
		}
		return s.fail(c, req, ErrNoParams, true)
	}
	uaid := c.user()
	if ap, ok := s.opts.Store.(AckPender); ok && len(m.Updates) > 0 {
		return s.ackPending(c, ap, uaid, m.Updates)
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	for _, u := range m.Updates {
		if err := s.opts.Store.Ack(ctx, uaid, u.ChannelID, u.Version); err != nil {
			s.logf("simplepush: ack %s: %v", uaid, err)
		}
	}
	c.dmu.Lock()
	c.acked(m.Updates)
	c.dmu.Unlock()
	return s.flush(c, s.opts.ResendPendingOnAck)
}

// user returns the uaid of a helloed connection.
func (c *conn) user() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.uaid
}

func (c *conn) route() Route {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Route{Node: c.s.opts.Node, ConnectedAt: c.connectedAt}
}
