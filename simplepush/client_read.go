package simplepush

import (
	"context"
	"errors"
)

// read reads s until it ends, answering waiters and handing updates to
// the application.
func (c *Client) read(s *session) {
	defer c.wg.Done()
	var err error
	for {
		var p []byte
		_, p, err = s.ws.ReadMessage(c.ctx, nil)
		if err != nil {
			break
		}
		select {
		case s.activity <- struct{}{}:
		default:
		}
		m, perr := ParseServerMessage(p)
		if perr != nil {
			continue // not ours to judge; the server's next message may be fine
		}
		switch m.Type {
		case TypePing:
			select {
			case s.pong <- struct{}{}:
			default:
			}
		case TypeNotification:
			c.notified(s, m)
		default:
			s.answer(m)
		}
	}
	s.ws.CloseNow()
	s.mu.Lock()
	s.dead = true
	for k, w := range s.waiters {
		close(w)
		delete(s.waiters, k)
	}
	s.mu.Unlock()
	if errors.Is(err, context.Canceled) {
		err = ErrClientClosed
	}
	s.err = err
	close(s.done)
}

// answer hands a reply to the command waiting for it.
func (s *session) answer(m *ServerMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := waitKey(m.Type, m.ChannelID)
	if w, ok := s.waiters[k]; ok {
		w <- m
		delete(s.waiters, k)
	}
}

// notified hands a notification's updates to the application and, unless
// ManualAck, acknowledges those it handed over (and resends of them).
func (c *Client) notified(s *session, m *ServerMessage) {
	var acks []Update
	c.mu.Lock()
	for _, u := range m.Updates {
		ch := c.channels[u.ChannelID]
		switch {
		case ch == nil:
			// Not (or no longer) ours: ack so the server stops resending.
			acks = append(acks, Update{ChannelID: u.ChannelID, Version: u.Version})
		case u.Version <= ch.delivered && ch.delivered != 0:
			c.stats.duplicates.Add(1)
			acks = append(acks, Update{ChannelID: u.ChannelID, Version: u.Version})
		default:
			select {
			case c.notes <- Notification(u):
				ch.delivered = u.Version
				c.stats.delivered.Add(1)
				acks = append(acks, Update{ChannelID: u.ChannelID, Version: u.Version})
			default:
				// Full: not acked, so the server keeps and resends it.
				c.stats.dropped.Add(1)
				c.logf("simplepush: client: notification buffer full; dropped %s version %d (the server resends it)", u.ChannelID, u.Version)
			}
		}
	}
	var expired []string
	for _, id := range m.Expired {
		if _, ok := c.channels[id]; ok {
			delete(c.channels, id)
			expired = append(expired, id)
		}
	}
	c.mu.Unlock()
	if len(expired) > 0 && c.opts.OnExpired != nil {
		c.opts.OnExpired(expired)
	}
	if c.opts.ManualAck || len(acks) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.ReplyTimeout)
	defer cancel()
	_ = c.send(ctx, s, &ClientMessage{Type: TypeAck, Updates: acks, HasUpdates: true})
}
