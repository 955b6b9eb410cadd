package httpipc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// memQueueLen is how many messages a MemPipe direction holds before Send
// blocks, like the bounded buffer of a Binder or XPC channel.
const memQueueLen = 16

// NewMemPipe returns two connected in-memory MessageConns, for tests and
// for in-process use. Each direction holds up to 16 messages; Send copies
// its message and blocks (honouring ctx) while the peer's queue is full.
// Send rejects messages above maxMessageSize. Closing either end ends
// both: pending and later calls fail, and the other end's Recv returns
// io.EOF once it has drained the messages already sent.
func NewMemPipe(maxMessageSize int) (MessageConn, MessageConn) {
	p := &memPipe{done: make(chan struct{})}
	a2b := make(chan []byte, memQueueLen)
	b2a := make(chan []byte, memQueueLen)
	return &memConn{p: p, in: b2a, out: a2b, max: maxMessageSize},
		&memConn{p: p, in: a2b, out: b2a, max: maxMessageSize}
}

type memPipe struct {
	once sync.Once
	done chan struct{}
}

type memConn struct {
	p       *memPipe
	in, out chan []byte
	max     int
}

// ErrMessageSize is returned by a MemPipe's Send for a message above its
// MaxMessageSize.
var ErrMessageSize = errors.New("httpipc: message above MaxMessageSize")

func (m *memConn) Send(ctx context.Context, msg []byte) error {
	if len(msg) > m.max {
		return fmt.Errorf("%w: %d > %d bytes", ErrMessageSize, len(msg), m.max)
	}
	select {
	case <-m.p.done:
		return ErrClosed
	default:
	}
	b := append([]byte(nil), msg...)
	select {
	case m.out <- b:
		return nil
	case <-m.p.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *memConn) Recv(ctx context.Context) ([]byte, error) {
	select {
	case b := <-m.in:
		return b, nil
	default:
	}
	select {
	case b := <-m.in:
		return b, nil
	case <-m.p.done:
		select {
		case b := <-m.in:
			return b, nil
		default:
			return nil, io.EOF
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (m *memConn) MaxMessageSize() int { return m.max }

func (m *memConn) Close() error {
	m.p.once.Do(func() { close(m.p.done) })
	return nil
}
