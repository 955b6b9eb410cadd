package simplepush

import "context"

// flush sends every pending update of c's uaid as one notification and
// arms the retransmission timer while any remain (spec section 5). It
// reports false when the connection broke.
func (s *Server) flush(c *conn) bool {
	uaid := c.user()
	ctx, cancel := s.storeCtx()
	defer cancel()
	b := getBuf()
	defer putBuf(b)
	c.dmu.Lock()
	defer c.dmu.Unlock()
	pending, err := s.opts.Store.Pending(ctx, uaid, nil)
	if err != nil {
		s.logf("simplepush: pending %s: %v", uaid, err)
		return true
	}
	if len(pending) == 0 {
		return true
	}
	*b = (&ServerMessage{Type: TypeNotification, Updates: pending}).Append((*b)[:0])
	if c.writeText(*b) != nil {
		return false
	}
	s.armRetry(c)
	return true
}

// armRetry schedules a resend of unacked updates on c, once.
func (s *Server) armRetry(c *conn) {
	if s.opts.RetransmitInterval <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.retryTimer != nil {
		return
	}
	c.retryTimer = s.opts.Clock.AfterFunc(s.opts.RetransmitInterval, func() { s.retransmit(c) })
}

// retransmit resends what is still unacked; the timer stops once nothing
// is pending, so an idle socket keeps no timer.
func (s *Server) retransmit(c *conn) {
	c.mu.Lock()
	c.retryTimer = nil
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	c.dmu.Lock()
	defer c.dmu.Unlock()
	pending, err := s.opts.Store.Pending(ctx, c.user(), nil)
	if err != nil || len(pending) == 0 {
		return
	}
	if c.writeMessage(&ServerMessage{Type: TypeNotification, Updates: pending}) == nil {
		s.stats.retransmitted.Add(1)
		s.armRetry(c)
	}
}

// local returns the helloed socket of uaid on this node, or nil.
func (s *Server) local(uaid string) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byUAID[uaid]
}

// deliverLocal writes u to uaid's socket on this node and reports whether
// it did.
func (s *Server) deliverLocal(uaid string, u Update) bool {
	c := s.local(uaid)
	if c == nil || c.isClosed() {
		return false
	}
	c.dmu.Lock()
	err := c.writeMessage(&ServerMessage{Type: TypeNotification, Updates: []Update{u}})
	c.dmu.Unlock()
	if err != nil {
		return false
	}
	s.stats.delivered.Add(1)
	s.armRetry(c)
	return true
}

// onBus receives what other nodes send this one.
func (s *Server) onBus(_ context.Context, m BusMessage) bool {
	switch m.Kind {
	case BusNotify:
		return s.deliverLocal(m.UAID, m.Update)
	case BusEvict:
		c := s.local(m.UAID)
		if c == nil {
			return false
		}
		c.mu.Lock()
		match := c.connectedAt == m.ConnectedAt
		c.mu.Unlock()
		if match {
			c.close(1000, "")
		}
		return match
	}
	return false
}
