package simplepush

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
)

// session is one WebSocket of a Client, from dial to its end.
type session struct {
	ws       *wsconn.Conn
	done     chan struct{} // closed when the reader ends
	err      error         // why, set before done is closed
	activity chan struct{} // a message arrived (buffered 1)
	pong     chan struct{} // a pong arrived (buffered 1)

	mu      sync.Mutex
	waiters map[string]chan *ServerMessage // key: type + "\x00" + channel ID
	dead    bool
}

func waitKey(t MessageType, chid string) string { return t.String() + "\x00" + chid }

// connect dials, starts the reader and says hello. On a new uaid it
// registers every channel again and calls OnReset. It sets c.cur.
func (c *Client) connect(ctx context.Context) (*session, error) {
	ws, err := wsconn.Dial(ctx, c.url, wsconn.DialOptions{Header: c.opts.Header, ReadLimit: c.opts.MaxMessageSize})
	if err != nil {
		return nil, err
	}
	s := &session{ws: ws, done: make(chan struct{}), activity: make(chan struct{}, 1),
		pong: make(chan struct{}, 1), waiters: map[string]chan *ServerMessage{}}
	c.wg.Add(1)
	go c.read(s)

	c.mu.Lock()
	old := c.uaid
	hello := ClientMessage{Type: TypeHello, UAID: old, HasUAID: true, HasChannelIDs: true, ChannelIDs: make([]string, 0, len(c.channels))}
	for id := range c.channels {
		hello.ChannelIDs = append(hello.ChannelIDs, id)
	}
	c.mu.Unlock()
	sort.Strings(hello.ChannelIDs)
	hctx, cancel := context.WithTimeout(ctx, c.opts.ReplyTimeout)
	defer cancel()
	reply, err := c.request(hctx, s, &hello, TypeHello, "")
	if err == nil && (reply.Status != 200 || reply.UAID == "") {
		err = &ReplyError{Type: TypeHello, Status: reply.Status, Text: reply.Error + reply.Reason}
	}
	if err != nil {
		s.ws.CloseNow()
		<-s.done
		return nil, fmt.Errorf("simplepush: hello: %w", err)
	}
	c.mu.Lock()
	c.uaid = reply.UAID
	c.cur = s
	close(c.ready)
	c.mu.Unlock()
	if old != "" && reply.UAID != old {
		c.reset(ctx, s, old, reply.UAID)
	}
	return s, nil
}

// reset registers every channel again under a new uaid (the spec: on a
// new uaid the UA MUST drop its channels and versions and re-register).
func (c *Client) reset(ctx context.Context, s *session, old, uaid string) {
	c.stats.resets.Add(1)
	c.logf("simplepush: client: uaid reset %s -> %s", old, uaid)
	c.mu.Lock()
	ids := make([]string, 0, len(c.channels))
	for id, ch := range c.channels {
		ids = append(ids, id)
		ch.delivered = 0
	}
	c.mu.Unlock()
	r := Reset{OldUAID: old, NewUAID: uaid, Endpoints: map[string]string{}, Failed: map[string]error{}}
	for _, id := range ids {
		rctx, cancel := context.WithTimeout(ctx, c.opts.ReplyTimeout)
		ep, err := c.registerOn(rctx, s, id)
		cancel()
		if err != nil {
			r.Failed[id] = err
			c.mu.Lock()
			delete(c.channels, id)
			c.mu.Unlock()
			continue
		}
		r.Endpoints[id] = ep
	}
	if c.opts.OnReset != nil {
		c.opts.OnReset(r)
	}
}

// run keeps the client connected until Close.
func (c *Client) run(s *session) {
	defer c.wg.Done()
	for s != nil {
		c.serve(s)
		c.mu.Lock()
		c.cur = nil
		c.ready = make(chan struct{})
		c.mu.Unlock()
		s = c.reconnect(s.err)
	}
}

// serve watches one session: it pings after PingInterval of silence and
// ends when the session does, or at Close.
func (c *Client) serve(s *session) {
	idle := time.NewTimer(c.pingEvery)
	defer idle.Stop()
	for {
		select {
		case <-c.ctx.Done():
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = s.ws.Close(cctx, wsconn.StatusNormalClosure, "")
			cancel()
			s.ws.CloseNow()
			<-s.done
			return
		case <-s.done:
			return
		case <-s.activity:
			idle.Reset(c.pingEvery)
		case <-idle.C:
			if !c.ping(s) {
				s.ws.CloseNow()
				<-s.done
				return
			}
			idle.Reset(c.pingEvery)
		}
	}
}

// ping sends {} and waits PongTimeout for the answer.
func (c *Client) ping(s *session) bool {
	select {
	case <-s.pong: // a stale pong
	default:
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.PongTimeout)
	defer cancel()
	if err := s.ws.WriteText(ctx, []byte("{}")); err != nil {
		return false
	}
	c.stats.pings.Add(1)
	select {
	case <-s.pong:
		return true
	case <-s.done:
	case <-ctx.Done():
		c.logf("simplepush: client: no pong within %v", c.opts.PongTimeout)
	}
	return false
}

// reconnect waits (jittered, doubling, capped) and connects again until
// it succeeds; nil after Close.
func (c *Client) reconnect(why error) *session {
	wait := c.opts.BackoffMin
	if wsconn.CloseStatus(why) == CloseNoReconnect {
		wait = c.opts.BackoffMax
	}
	for {
		d := wait/2 + rand.N(wait/2+1)
		c.logf("simplepush: client: connection ended (%v); reconnecting in %v", why, d)
		t := time.NewTimer(d)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		s, err := c.connect(c.ctx)
		if err == nil {
			c.stats.reconnects.Add(1)
			return s
		}
		if c.ctx.Err() != nil {
			return nil
		}
		why = err
		wait = min(2*wait, c.opts.BackoffMax)
	}
}

// session returns the current session, waiting within ctx for one.
func (c *Client) session(ctx context.Context) (*session, error) {
	for {
		c.mu.Lock()
		s, ready, closed := c.cur, c.ready, c.closed
		c.mu.Unlock()
		if closed {
			return nil, ErrClientClosed
		}
		if s != nil {
			return s, nil
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.ctx.Done():
			return nil, ErrClientClosed
		}
	}
}
