package mobile

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/appwire/appwire/httpipc"
)

// DefaultMaxMessageSize is the message size used when a constructor is
// given 0: well below Binder's shared 1 MB transaction buffer.
const DefaultMaxMessageSize = 64 << 10

// queueLen is how many received messages wait for the frame layer before
// Receive blocks.
const queueLen = 64

// ErrClosed is returned by Receive and Do after Close.
var ErrClosed = errors.New("mobile: closed")

// Sender is implemented by the platform: Send delivers msg to the peer
// as one message (one Binder transaction, one XPC message). It may be
// called from any goroutine, never concurrently with itself, and must
// not keep msg after it returns.
type Sender interface {
	Send(msg []byte) error
}

// msgConn is an httpipc.MessageConn whose Send is the platform's Sender
// and whose Recv returns what the platform passed to Receive.
type msgConn struct {
	s    Sender
	max  int
	in   chan []byte
	done chan struct{}
	once sync.Once
	smu  sync.Mutex
}

func newMsgConn(s Sender, max int) *msgConn {
	if max <= 0 {
		max = DefaultMaxMessageSize
	}
	return &msgConn{s: s, max: max, in: make(chan []byte, queueLen), done: make(chan struct{})}
}

var _ httpipc.MessageConn = (*msgConn)(nil)

func (m *msgConn) Send(ctx context.Context, msg []byte) error {
	if len(msg) > m.max {
		return httpipc.ErrMessageSize
	}
	select {
	case <-m.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	default:
	}
	m.smu.Lock()
	defer m.smu.Unlock()
	return m.s.Send(msg)
}

func (m *msgConn) Recv(ctx context.Context) ([]byte, error) {
	select {
	case b := <-m.in:
		return b, nil
	case <-m.done:
		return nil, io.EOF
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// receive queues a copy of msg for Recv.
func (m *msgConn) receive(msg []byte) error {
	if len(msg) > m.max {
		return httpipc.ErrMessageSize
	}
	b := append([]byte(nil), msg...)
	select {
	case <-m.done:
		return ErrClosed
	default:
	}
	select {
	case m.in <- b:
		return nil
	case <-m.done:
		return ErrClosed
	}
}

func (m *msgConn) MaxMessageSize() int { return m.max }

func (m *msgConn) Close() error {
	m.once.Do(func() { close(m.done) })
	return nil
}
