package httpipc

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
)

// carrier moves frames: concatenated on a byte stream, or one per message
// on a MessageConn. One goroutine reads while another writes.
type carrier interface {
	// readFrame returns the next frame, valid until the next call.
	readFrame(ctx context.Context) (*Frame, error)
	// writeBatch writes buf, which holds whole frames ending at the
	// offsets in ends.
	writeBatch(ctx context.Context, buf []byte, ends []int) error
	// maxFrameSize bounds the payload the carrier can move (0: none).
	maxFrameSize() int
	setMaxReadFrameSize(n int)
	close() error
	remoteAddr() string
}

type streamCarrier struct {
	rwc     io.ReadWriteCloser
	fr      *Framer
	closeMu sync.Once
	err     error
}

func newStreamCarrier(rwc io.ReadWriteCloser) *streamCarrier {
	s := &streamCarrier{rwc: rwc, fr: NewFramer(nil, rwc)}
	s.fr.helloFirst = true
	return s
}

func (s *streamCarrier) readFrame(context.Context) (*Frame, error) { return s.fr.ReadFrame() }

func (s *streamCarrier) writeBatch(_ context.Context, buf []byte, _ []int) error {
	_, err := s.rwc.Write(buf)
	return err
}

func (s *streamCarrier) maxFrameSize() int         { return 0 }
func (s *streamCarrier) setMaxReadFrameSize(n int) { s.fr.SetMaxReadFrameSize(n) }
func (s *streamCarrier) close() error {
	s.closeMu.Do(func() { s.err = s.rwc.Close() })
	return s.err
}

func (s *streamCarrier) remoteAddr() string {
	if nc, ok := s.rwc.(net.Conn); ok && nc.RemoteAddr() != nil {
		if a := nc.RemoteAddr().String(); a != "" {
			return a
		}
	}
	return ""
}

type messageCarrier struct {
	mc      MessageConn
	maxRead int
	frame   Frame
}

// errMessageTooSmall: a MessageConn cannot carry a MinFrameSize frame.
var errMessageTooSmall = errors.New("httpipc: MessageConn.MaxMessageSize too small for a 1024-byte frame")

func newMessageCarrier(mc MessageConn) (*messageCarrier, error) {
	if mc.MaxMessageSize()-MaxFrameHeaderLen < MinFrameSize {
		return nil, wrapf(errMessageTooSmall, "MaxMessageSize "+strconv.Itoa(mc.MaxMessageSize()))
	}
	return &messageCarrier{mc: mc, maxRead: DefaultMaxFrameSize}, nil
}

func (m *messageCarrier) readFrame(ctx context.Context) (*Frame, error) {
	msg, err := m.mc.Recv(ctx)
	if err != nil {
		return nil, err
	}
	if err := parseFrame(&m.frame, msg, m.maxRead); err != nil {
		return nil, err
	}
	return &m.frame, nil
}

func (m *messageCarrier) writeBatch(ctx context.Context, buf []byte, ends []int) error {
	start := 0
	for _, end := range ends {
		if err := m.mc.Send(ctx, buf[start:end]); err != nil {
			return err
		}
		start = end
	}
	return nil
}

func (m *messageCarrier) maxFrameSize() int         { return m.mc.MaxMessageSize() - MaxFrameHeaderLen }
func (m *messageCarrier) setMaxReadFrameSize(n int) { m.maxRead = n }
func (m *messageCarrier) close() error              { return m.mc.Close() }
func (m *messageCarrier) remoteAddr() string        { return "" }
