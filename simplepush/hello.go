package simplepush

import (
	"github.com/appwire/appwire/internal/wsconn"
)

// hello runs the handshake (spec section 3.1).
func (s *Server) hello(c *conn, req []byte, m *ClientMessage, helloed bool) bool {
	d := s.opts.Dialect
	if helloed {
		if d == DialectAutopush {
			return c.writeMessage(&ServerMessage{Type: TypeHello, Status: 401, Reason: "duplicate hello"}) == nil
		}
		cur := c.user()
		if n, _ := NormalizeUAID(m.UAID, d); m.UAID == "" || n == cur {
			if c.writeMessage(&ServerMessage{Type: TypeHello, UAID: cur, Status: 200}) != nil {
				return false
			}
			return s.flush(c, true)
		}
		return s.fail(c, req, ErrExistingID, true)
	}
	if !m.HasChannelIDs && d == DialectPushgo {
		return s.fail(c, req, ErrNoParams, true)
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	store := s.opts.Store
	uaid, ok := "", false
	if m.UAID != "" {
		uaid, ok = NormalizeUAID(m.UAID, d)
	}
	nch := len(m.ChannelIDs) + m.OtherChannelIDs
	if ok && d == DialectPushgo && nch > s.opts.MaxChannels {
		if err := store.DropUser(ctx, uaid); err != nil {
			return s.fail(c, req, ErrServerError, true)
		}
		ok = false
	}
	if ok {
		exists, err := store.UserExists(ctx, uaid)
		if err != nil {
			return s.fail(c, req, ErrServerError, true)
		}
		// pushgo resets an unknown uaid that claims channels; autopush
		// any uaid without a record.
		if !exists && (nch > 0 || d == DialectAutopush) {
			ok = false
		}
	}
	if !ok {
		uaid = NewUAID()
	}
	at := s.nextConnectedAt()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.uaid, c.connectedAt = uaid, at
	if c.timer != nil { // the hello timeout
		c.timer.Stop()
		c.timer = nil
	}
	c.mu.Unlock()
	s.stats.helloed.Add(1)

	// The newest socket for a uaid wins: close the older one, here or on
	// the node that holds it.
	s.mu.Lock()
	old := s.byUAID[uaid]
	s.byUAID[uaid] = c
	s.mu.Unlock()
	if old != nil && old != c {
		old.close(wsconn.StatusNormalClosure, "")
	}
	route := Route{Node: s.opts.Node, ConnectedAt: at}
	prev, err := store.Connect(ctx, uaid, route)
	if err != nil {
		s.logf("simplepush: connect %s: %v", uaid, err)
		return s.fail(c, req, ErrServerError, true)
	}
	if prev.Node != "" && prev.Node != s.opts.Node && s.opts.Bus != nil {
		if _, err := s.opts.Bus.Publish(ctx, prev.Node, BusMessage{Kind: BusEvict, UAID: uaid, ConnectedAt: prev.ConnectedAt}); err != nil {
			s.logf("simplepush: evict %s on %s: %v", uaid, prev.Node, err)
		}
	}
	w := &Wakeup{Connect: m.Connect, Wakeup: m.Wakeup, Interface: m.Interface, MobileNetwork: m.MobileNetwork, Protocol: m.Protocol}
	if err := store.SetWakeup(ctx, uaid, w); err != nil {
		s.logf("simplepush: wakeup %s: %v", uaid, err)
	}
	if c.writeMessage(&ServerMessage{Type: TypeHello, UAID: uaid, Status: 200}) != nil {
		return false
	}
	return s.flush(c, true)
}
