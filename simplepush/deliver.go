package simplepush

import "context"

// flush sends the pending updates of c's uaid as one notification and
// arms the retransmission timer while any remain (spec section 5): all of
// them after hello (all is true), only those newer than what this socket
// was already sent after an ack. It reports false when the connection
// broke.
func (s *Server) flush(c *conn, all bool) bool {
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
	if !all {
		pending = c.unsent(pending)
	}
	if len(pending) == 0 {
		return true
	}
	*b = (&ServerMessage{Type: TypeNotification, Updates: pending}).Append((*b)[:0])
	if c.writeText(*b) != nil {
		return false
	}
	c.markSent(pending...)
	s.armRetry(c)
	return true
}

// ackPending records acks and sends what the ack leaves pending (newer
// than what the socket was sent, unless ResendPendingOnAck) with one
// Store call.
func (s *Server) ackPending(c *conn, ap AckPender, uaid string, acks []Update) bool {
	ctx, cancel := s.storeCtx()
	defer cancel()
	c.dmu.Lock()
	defer c.dmu.Unlock()
	b := getBuf()
	defer putBuf(b)
	pending, err := ap.AckPending(ctx, uaid, acks, nil)
	c.acked(acks)
	if err != nil {
		s.logf("simplepush: ack %s: %v", uaid, err)
		return true
	}
	if !s.opts.ResendPendingOnAck {
		pending = c.unsent(pending)
	}
	if len(pending) == 0 {
		return true
	}
	*b = (&ServerMessage{Type: TypeNotification, Updates: pending}).Append((*b)[:0])
	if c.writeText(*b) != nil {
		return false
	}
	c.markSent(pending...)
	s.armRetry(c)
	return true
}

// unsent filters pending in place down to the updates newer than the
// version this socket was last sent for their channel. c.dmu is held.
func (c *conn) unsent(pending []Update) []Update {
	if len(c.sent) == 0 {
		return pending
	}
	out := pending[:0]
	for _, u := range pending {
		if v, ok := c.sent[u.ChannelID]; !ok || u.Version > v {
			out = append(out, u)
		}
	}
	return out
}

// markSent records that us were written to the socket. c.dmu is held.
func (c *conn) markSent(us ...Update) {
	if c.sent == nil {
		c.sent = make(map[string]uint64, len(us))
	}
	for _, u := range us {
		if v, ok := c.sent[u.ChannelID]; !ok || u.Version > v {
			c.sent[u.ChannelID] = u.Version
		}
	}
}

// acked forgets what the user agent acknowledged. c.dmu is held.
func (c *conn) acked(us []Update) {
	for _, u := range us {
		if v, ok := c.sent[u.ChannelID]; ok && u.Version >= v {
			delete(c.sent, u.ChannelID)
		}
	}
	if len(c.sent) == 0 {
		c.sent = nil
	}
}

// armRetry schedules a resend of unacked updates on c, once.
func (s *Server) armRetry(c *conn) {
	if s.opts.RetransmitInterval <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.timer != nil {
		return
	}
	c.timer = s.opts.Clock.AfterFunc(s.opts.RetransmitInterval, func() { s.retransmit(c) })
}

// retransmit resends what is still unacked; the timer stops once nothing
// is pending, so an idle socket keeps no timer.
func (s *Server) retransmit(c *conn) {
	c.mu.Lock()
	c.timer = nil
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
		c.markSent(pending...)
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
	if err == nil {
		c.markSent(u)
	}
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
