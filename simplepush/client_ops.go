package simplepush

import (
	"context"
	"errors"
)

// send writes one message on s.
func (c *Client) send(ctx context.Context, s *session, m *ClientMessage) error {
	if err := s.ws.WriteText(ctx, m.Append(nil)); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return ErrConnectionLost
	}
	return nil
}

// request sends m on s and waits for the reply of type typ for chid.
func (c *Client) request(ctx context.Context, s *session, m *ClientMessage, typ MessageType, chid string) (*ServerMessage, error) {
	w := make(chan *ServerMessage, 1)
	k := waitKey(typ, chid)
	s.mu.Lock()
	if s.dead {
		s.mu.Unlock()
		return nil, ErrConnectionLost
	}
	if _, busy := s.waiters[k]; busy {
		s.mu.Unlock()
		return nil, errors.New("simplepush: a " + typ.String() + " of this channel is already waiting for its reply")
	}
	s.waiters[k] = w
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.waiters[k] == w {
			delete(s.waiters, k)
		}
		s.mu.Unlock()
	}()
	if err := c.send(ctx, s, m); err != nil {
		return nil, err
	}
	select {
	case r, ok := <-w:
		if !ok {
			return nil, ErrConnectionLost
		}
		return r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Register registers the channel chid ("" generates one, NewChannelID)
// and returns its pushEndpoint, the URL app servers PUT to. Registering
// a channel again is allowed and returns an endpoint for it. It waits
// within ctx for a connection when the client is reconnecting.
func (c *Client) Register(ctx context.Context, chid string) (endpoint string, err error) {
	if chid == "" {
		chid = NewChannelID()
	}
	s, err := c.session(ctx)
	if err != nil {
		return "", err
	}
	return c.registerOn(ctx, s, chid)
}

func (c *Client) registerOn(ctx context.Context, s *session, chid string) (string, error) {
	r, err := c.request(ctx, s, &ClientMessage{Type: TypeRegister, ChannelID: chid, HasChannelID: true}, TypeRegister, chid)
	if err != nil {
		return "", err
	}
	if r.Status != 200 || r.PushEndpoint == "" {
		return "", &ReplyError{Type: TypeRegister, Status: r.Status, Text: r.Error + r.Reason}
	}
	c.mu.Lock()
	if ch := c.channels[chid]; ch != nil {
		ch.endpoint = r.PushEndpoint
	} else {
		c.channels[chid] = &channelState{endpoint: r.PushEndpoint}
	}
	c.mu.Unlock()
	return r.PushEndpoint, nil
}

// Unregister unregisters chid: the server stops delivering its updates,
// including queued ones, and its endpoint stops working. The client
// forgets the channel even when the reply does not come.
func (c *Client) Unregister(ctx context.Context, chid string) error {
	c.mu.Lock()
	delete(c.channels, chid)
	c.mu.Unlock()
	s, err := c.session(ctx)
	if err != nil {
		return err
	}
	r, err := c.request(ctx, s, &ClientMessage{Type: TypeUnregister, ChannelID: chid, HasChannelID: true}, TypeUnregister, chid)
	if err != nil {
		return err
	}
	if r.Status != 200 {
		return &ReplyError{Type: TypeUnregister, Status: r.Status, Text: r.Error + r.Reason}
	}
	return nil
}

// Ack acknowledges updates (with ManualAck): the server stops resending
// them. An ack of an older version never clears a newer one. The server
// does not reply; an update acked on a socket that then broke may be
// delivered again after reconnecting, which the client then acks without
// handing it over twice.
func (c *Client) Ack(ctx context.Context, updates ...Notification) error {
	if len(updates) == 0 {
		return nil
	}
	s, err := c.session(ctx)
	if err != nil {
		return err
	}
	m := &ClientMessage{Type: TypeAck, HasUpdates: true, Updates: make([]Update, len(updates))}
	for i, u := range updates {
		m.Updates[i] = Update{ChannelID: u.ChannelID, Version: u.Version}
	}
	return c.send(ctx, s, m)
}
