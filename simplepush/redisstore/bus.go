package redisstore

import (
	"github.com/appwire/appwire/simplepush"

	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Bus is the Bus between server processes: Redis pub/sub with a
// request/reply on top, so Publish can say whether the node took the
// message.
//
// # Design
//
// Every node listens on the channel <prefix>bus:node:<node>. Every bus
// listens on a reply channel of its own, <prefix>bus:reply:<random>, from
// its first Publish on. Publish sends {id, reply channel, message} with
// PUBLISH, whose answer is the number of subscribers that got it:
//
//   - 0: no process serves that node (it crashed, or its Redis connection
//     is down): false at once, so the endpoint answers 202 and the update
//     stays stored for the next hello.
//   - n > 0: Publish waits, at most Timeout, for "<id>:1" or "<id>:0" on
//     its reply channel. The node answers 1 only after its handler
//     returned true, i.e. after the update was written to the socket. A
//     "1" (or n answers) ends the wait; a timeout reports false with an
//     error.
//
// The failure modes err on the side of 202: a lost reply or a late one
// says "not taken" although the socket got the update, which is harmless
// because the update is stored until acked either way. Nothing is ever
// reported taken that was not.
//
// The receiving node runs handlers on Workers goroutines, chosen by uaid,
// so the updates of one user agent are written in the order they came
// and one slow socket holds up only its share of the node's traffic.
//
// go-redis's PubSub reconnects and subscribes again after a connection
// loss or a Redis restart (and pings every few seconds to notice one);
// what was published in between is lost, which the 202 rule above
// covers.
type Bus struct {
	rdb     redis.UniversalClient
	prefix  string
	timeout time.Duration
	workers int
	logf    func(string, ...any)
	reply   string // this bus's reply channel
	seq     atomic.Uint64

	mu      sync.Mutex
	waiting map[uint64]chan bool
	replies *redis.PubSub // nil until the first Publish
	subs    map[*redisSub]struct{}
	closed  bool
	quit    chan struct{}  // closed by Close
	done    sync.WaitGroup // the reply loop
}

// BusOptions configures NewBus. Every node of one cluster must
// use the same Prefix.
type BusOptions struct {
	// Prefix starts every channel name; "" means DefaultPrefix.
	Prefix string
	// Timeout bounds Publish's wait for the node's answer and the
	// subscription handshakes; zero means DefaultRedisBusTimeout.
	Timeout time.Duration
	// Workers is how many messages one subscribed node handles at once;
	// zero means DefaultRedisBusWorkers.
	Workers int
	// Logf, when set, receives failures that have no caller to return to
	// (a reply that could not be sent, a message that did not decode).
	Logf func(format string, args ...any)
}

// Defaults of BusOptions.
const (
	DefaultRedisBusTimeout = 3 * time.Second // pushgo's routing rwtimeout
	DefaultRedisBusWorkers = 16
)

// workerQueue is how many messages wait for one worker before the
// subscription stops reading (and Redis buffers for it).
const workerQueue = 64

// ErrBusClosed is returned by a closed Bus.
var ErrBusClosed = errors.New("simplepush/redisstore: bus closed")

var _ simplepush.Bus = (*Bus)(nil)

// NewBus returns a bus over rdb; it talks to Redis only from the
// first Publish or Subscribe on. The caller owns rdb; Close the bus
// before closing rdb.
func NewBus(rdb redis.UniversalClient, opts BusOptions) (*Bus, error) {
	if rdb == nil {
		return nil, errors.New("simplepush: redis bus: nil client")
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultRedisBusTimeout
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultRedisBusWorkers
	}
	var id [12]byte
	_, _ = rand.Read(id[:])
	return &Bus{
		rdb: rdb, prefix: opts.Prefix, timeout: opts.Timeout, workers: opts.Workers, logf: opts.Logf,
		reply:   opts.Prefix + "bus:reply:" + hex.EncodeToString(id[:]),
		waiting: map[uint64]chan bool{}, subs: map[*redisSub]struct{}{}, quit: make(chan struct{}),
	}, nil
}

func (b *Bus) nodeChannel(node string) string { return b.prefix + "bus:node:" + node }

func (b *Bus) log(format string, args ...any) {
	if b.logf != nil {
		b.logf(format, args...)
	}
}

// Publish implements Bus: it reports whether node's handler took m, and
// waits at most Timeout (or until ctx ends) for the answer.
func (b *Bus) Publish(ctx context.Context, node string, m simplepush.BusMessage) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := b.listenReplies(ctx); err != nil {
		return false, err
	}
	id := b.seq.Add(1)
	payload, err := encodeBusRequest(id, b.reply, m)
	if err != nil {
		return false, err
	}
	answers := make(chan bool, 4)
	b.mu.Lock()
	b.waiting[id] = answers
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.waiting, id)
		b.mu.Unlock()
	}()
	n, err := b.rdb.Publish(ctx, b.nodeChannel(node), payload).Result()
	if err != nil {
		return false, fmt.Errorf("simplepush: redis bus: publish to %q: %w", node, err)
	}
	timer := time.NewTimer(b.timeout)
	defer timer.Stop()
	for ; n > 0; n-- { // one answer per receiver; the first yes wins
		select {
		case ok := <-answers:
			if ok {
				return true, nil
			}
		case <-timer.C:
			return false, fmt.Errorf("simplepush: redis bus: node %q: no answer within %v", node, b.timeout)
		case <-ctx.Done():
			return false, ctx.Err()
		case <-b.quit:
			return false, ErrBusClosed
		}
	}
	return false, nil
}

// listenReplies subscribes to the reply channel once and starts the loop
// that hands answers to waiting Publish calls.
func (b *Bus) listenReplies(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrBusClosed
	}
	if b.replies != nil {
		return nil
	}
	ps, err := b.subscribe(ctx, b.reply)
	if err != nil {
		return err
	}
	b.replies = ps
	msgs := ps.Channel()
	b.done.Add(1)
	go func() {
		defer b.done.Done()
		for msg := range msgs {
			id, ok, err := decodeBusReply(msg.Payload)
			if err != nil {
				b.log("simplepush: redis bus: %v", err)
				continue
			}
			b.mu.Lock()
			ch := b.waiting[id]
			b.mu.Unlock()
			select {
			case ch <- ok: // a nil ch (Publish gave up) never receives
			default:
			}
		}
	}()
	return nil
}

// subscribe subscribes a new PubSub to channel and waits for Redis to
// confirm, so nothing published after it returns is missed.
func (b *Bus) subscribe(ctx context.Context, channel string) (*redis.PubSub, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	ps := b.rdb.Subscribe(ctx, channel)
	if _, err := ps.Receive(ctx); err != nil {
		_ = ps.Close()
		return nil, fmt.Errorf("simplepush: redis bus: subscribe %s: %w", channel, err)
	}
	return ps, nil
}

// Subscribe implements Bus. Two processes must not subscribe the same
// node name: both would get its messages.
func (b *Bus) Subscribe(node string, h func(ctx context.Context, m simplepush.BusMessage) bool) (func(), error) {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return nil, ErrBusClosed
	}
	ps, err := b.subscribe(context.Background(), b.nodeChannel(node))
	if err != nil {
		return nil, err
	}
	sub := newRedisSub(b, ps, h)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		sub.stop()
		return nil, ErrBusClosed
	}
	b.subs[sub] = struct{}{}
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		delete(b.subs, sub)
		b.mu.Unlock()
		sub.stop()
	}, nil
}

// Close ends every subscription and the reply loop and waits for their
// goroutines; pending Publish calls report false. The client stays open.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.quit)
	replies := b.replies
	subs := make([]*redisSub, 0, len(b.subs))
	for s := range b.subs {
		subs = append(subs, s)
	}
	b.subs = nil
	b.mu.Unlock()
	for _, s := range subs {
		s.stop()
	}
	var err error
	if replies != nil {
		err = replies.Close()
	}
	b.done.Wait()
	return err
}
