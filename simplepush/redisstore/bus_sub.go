package redisstore

import (
	"github.com/appwire/appwire/simplepush"

	"context"
	"hash/maphash"
	"strconv"
	"sync"

	"github.com/redis/go-redis/v9"
)

// redisSub is one node's subscription on a Bus: a reader of the
// node's channel and a fixed set of workers that run the handler and
// publish its answer.
type redisSub struct {
	b      *Bus
	ps     *redis.PubSub
	h      func(context.Context, simplepush.BusMessage) bool
	ctx    context.Context // ends at stop
	cancel context.CancelFunc
	seed   maphash.Seed
	queues []chan busRequest
	once   sync.Once
	wg     sync.WaitGroup
}

func newRedisSub(b *Bus, ps *redis.PubSub, h func(context.Context, simplepush.BusMessage) bool) *redisSub {
	ctx, cancel := context.WithCancel(context.Background())
	s := &redisSub{b: b, ps: ps, h: h, ctx: ctx, cancel: cancel, seed: maphash.MakeSeed()}
	s.queues = make([]chan busRequest, b.workers)
	for i := range s.queues {
		q := make(chan busRequest, workerQueue)
		s.queues[i] = q
		s.wg.Add(1)
		go s.work(q)
	}
	s.wg.Add(1)
	go s.read(ps.Channel())
	return s
}

// read decodes the node's messages and queues each on the worker of its
// uaid, so one user agent's messages keep their order.
func (s *redisSub) read(msgs <-chan *redis.Message) {
	defer s.wg.Done()
	defer func() {
		for _, q := range s.queues {
			close(q)
		}
	}()
	for msg := range msgs {
		req, err := decodeBusRequest(msg.Payload)
		if err != nil {
			s.b.log("simplepush: redis bus: %v", err)
			continue
		}
		q := s.queues[maphash.String(s.seed, req.Msg.UAID)%uint64(len(s.queues))]
		select {
		case q <- req:
		case <-s.ctx.Done():
		}
	}
}

func (s *redisSub) work(q <-chan busRequest) {
	defer s.wg.Done()
	for req := range q {
		if s.ctx.Err() != nil {
			continue // stopping: drain without handling
		}
		answer := "0"
		if s.h(s.ctx, req.Msg) {
			answer = "1"
		}
		ctx, cancel := context.WithTimeout(s.ctx, s.b.timeout)
		err := s.b.rdb.Publish(ctx, req.Reply, strconv.FormatUint(req.ID, 10)+":"+answer).Err()
		cancel()
		if err != nil && s.ctx.Err() == nil {
			s.b.log("simplepush: redis bus: answer %s: %v", req.Reply, err)
		}
	}
}

// stop unsubscribes and waits for the reader and the workers; a handler
// that is running finishes first.
func (s *redisSub) stop() {
	s.once.Do(func() {
		s.cancel()
		_ = s.ps.Close()
		s.wg.Wait()
	})
}
