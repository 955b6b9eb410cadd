package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// One PubSub connection per Store carries every channel this process
// listens to; local subscribers of a channel share its subscription.

// Publish implements loopapi.Store.
func (s *Store) Publish(ctx context.Context, channel, msg string) error {
	return wrap("publish", s.rdb.Publish(ctx, s.k(channel), msg).Err())
}

// Subscribe implements loopapi.Store. It returns once Redis has confirmed
// the subscription, so a message published after Subscribe returns is
// delivered. SUBSCRIBE and UNSUBSCRIBE are written under the lock, so they
// reach Redis in the order of the local subscriptions and cancellations.
func (s *Store) Subscribe(ctx context.Context, channel string, fn func(string)) (func(), error) {
	ch := s.k(channel)
	sb := &sub{fn: fn}
	s.subMu.Lock()
	if s.closed {
		s.subMu.Unlock()
		return nil, errors.New("redisstore: closed")
	}
	if s.ps == nil {
		s.ps = s.rdb.Subscribe(context.WithoutCancel(ctx))
		s.done = make(chan struct{})
		go s.read(s.ps, s.done)
	}
	local := s.subs[ch]
	if local == nil {
		local = map[*sub]struct{}{}
		s.subs[ch] = local
		if err := s.ps.Subscribe(ctx, ch); err != nil {
			delete(s.subs, ch)
			s.subMu.Unlock()
			return nil, wrap("subscribe", err)
		}
		s.waiting[ch] = append(s.waiting[ch], make(chan struct{}))
	}
	local[sb] = struct{}{}
	var confirmed chan struct{}
	if w := s.waiting[ch]; len(w) > 0 { // not confirmed yet: wait as the first did
		confirmed = w[len(w)-1]
	}
	s.subMu.Unlock()

	cancel := func() { s.unsubscribe(ch, sb) }
	if confirmed == nil {
		return cancel, nil
	}
	select {
	case <-confirmed:
		return cancel, nil
	case <-ctx.Done():
		cancel()
		return nil, ctx.Err()
	}
}

func (s *Store) unsubscribe(ch string, sb *sub) {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	local := s.subs[ch]
	if _, ok := local[sb]; !ok {
		return
	}
	delete(local, sb)
	if len(local) > 0 || s.ps == nil || s.closed {
		return
	}
	delete(s.subs, ch)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.ps.Unsubscribe(ctx, ch)
}

// read dispatches messages and subscription confirmations until ps is
// closed.
func (s *Store) read(ps *redis.PubSub, done chan struct{}) {
	defer close(done)
	ctx := context.Background()
	for {
		m, err := ps.Receive(ctx)
		if err != nil {
			if errors.Is(err, redis.ErrClosed) {
				return
			}
			s.subMu.Lock()
			closed := s.closed
			s.subMu.Unlock()
			if closed {
				return
			}
			time.Sleep(50 * time.Millisecond) // go-redis reconnects and resubscribes
			continue
		}
		switch m := m.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			s.subMu.Lock() // confirmations come in the order the SUBSCRIBEs went
			if w := s.waiting[m.Channel]; len(w) > 0 {
				close(w[0])
				if len(w) == 1 {
					delete(s.waiting, m.Channel)
				} else {
					s.waiting[m.Channel] = w[1:]
				}
			}
			s.subMu.Unlock()
		case *redis.Message:
			s.subMu.Lock()
			fns := make([]func(string), 0, len(s.subs[m.Channel]))
			for sb := range s.subs[m.Channel] {
				fns = append(fns, sb.fn)
			}
			s.subMu.Unlock()
			for _, fn := range fns {
				fn(m.Payload)
			}
		}
	}
}

// Close stops the subscriptions; the Redis client stays open.
func (s *Store) Close() error {
	s.subMu.Lock()
	if s.closed {
		s.subMu.Unlock()
		return nil
	}
	s.closed = true
	ps, done := s.ps, s.done
	s.subMu.Unlock()
	if ps == nil {
		return nil
	}
	err := ps.Close()
	<-done
	return err
}
