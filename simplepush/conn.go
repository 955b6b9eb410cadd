package simplepush

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/appwire/appwire/internal/wsconn"
	"github.com/gobwas/ws"
)

// conn is one user-agent socket. While idle it holds no buffer and no
// goroutine: only this struct, the net.Conn and a poller registration.
// Tens of thousands of them sit idle, so every field counts.
type conn struct {
	s  *Server
	nc net.Conn
	rc syscall.RawConn // nil when nc has no file descriptor
	id uint64          // poller key

	endpoint string // pushEndpoint prefix when Options.EndpointURL is empty (shared, see Server.endpointPrefix)

	wmu sync.Mutex // serialises writes
	// dmu orders notifications: a flush holds it from reading the
	// pending updates to writing them, and a direct delivery around its
	// write, so a PUT landing during a flush is written after the flush's
	// older versions, never before them. Taken before wmu and mu.
	dmu sync.Mutex
	// sent is the newest version of each channel written to this socket
	// and not yet acked (guarded by dmu; nil while nothing is unacked,
	// so an idle socket pays nothing). A flush after an ack sends only
	// what is newer than this, so acks do not make the server repeat
	// what the user agent already has; hello and the retransmission
	// timer still send everything pending.
	sent map[string]uint64

	mu          sync.Mutex
	closed      bool
	uaid        string // "" before hello
	connectedAt int64
	lastPing    int64 // Unix nanoseconds of the last ping; 0 none
	// timer is the hello timeout until hello, then the retransmission
	// timer while one is armed; nil otherwise.
	timer Timer
}

// readerPool and bufPool lend buffers only while a frame is read or
// written.
var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	bufPool    = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}
)

const maxPooledBuf = 64 << 10

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) <= maxPooledBuf {
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

// connReader is what serveReadable reads: pre, then the socket. The
// poller said data is there, so it first reads the descriptor without
// waiting (a whole ack usually arrives in one segment) and sets no
// deadline; only a read that would block sets the frame deadline and
// waits in the runtime's poller. A deadline costs a runtime timer change
// to set and another to clear, a tenth of the server's CPU per ack.
type connReader struct {
	c     *conn
	pre   []byte
	timed bool // a read deadline is set
}

func (r *connReader) Read(b []byte) (int, error) {
	if len(r.pre) > 0 {
		n := copy(b, r.pre)
		r.pre = r.pre[n:]
		return n, nil
	}
	if !r.timed && r.c.rc != nil {
		if n, err, again := r.c.readNow(b); !again {
			return n, err
		}
	}
	if !r.timed {
		r.timed = true
		_ = r.c.nc.SetReadDeadline(time.Now().Add(r.c.s.opts.FrameTimeout))
	}
	return r.c.nc.Read(b)
}

// newFrame restarts the frame timeout: the next read that would block
// sets a fresh deadline.
func (r *connReader) newFrame() { r.timed = false }

// readNow reads what the socket has without waiting; again means
// nothing was there.
func (c *conn) readNow(b []byte) (n int, err error, again bool) {
	var serr error
	cerr := c.rc.Read(func(fd uintptr) bool {
		n, serr = syscall.Read(int(fd), b)
		return true
	})
	switch {
	case cerr != nil:
		return 0, cerr, false
	case serr == syscall.EAGAIN || serr == syscall.EINTR:
		return 0, nil, true
	case serr != nil:
		return 0, serr, false
	case n == 0 && len(b) > 0:
		return 0, io.EOF, false
	}
	return n, nil, false
}

// writeNow writes what the socket takes without waiting. A write
// deadline left over from an earlier blocking write is not an error here:
// the caller sets a fresh one for what is left.
func (c *conn) writeNow(b []byte) (n int, err error) {
	var serr error
	cerr := c.rc.Write(func(fd uintptr) bool {
		n, serr = syscall.Write(int(fd), b)
		return true
	})
	switch {
	case errors.Is(cerr, os.ErrDeadlineExceeded):
		return 0, nil
	case cerr != nil:
		return 0, cerr
	case serr == syscall.EAGAIN || serr == syscall.EINTR:
		return 0, nil
	case serr != nil:
		return 0, serr
	}
	return n, nil
}

// errClosing ends a read loop after the server decided to close.
var errClosing = errors.New("simplepush: closing")

// serveReadable reads and handles every message the peer sent, until
// nothing is buffered (then it reports true: wait in the poller again)
// or the connection ends (false). Only one goroutine runs it at a time
// per connection: the poller hands a connection out once per arm.
// pre holds bytes already read from the socket (past the handshake, or
// the watch loop's one byte), consumed first.
func (c *conn) serveReadable(pre []byte) bool {
	s := c.s
	s.stats.reading.Add(1)
	defer s.stats.reading.Add(-1)
	br := readerPool.Get().(*bufio.Reader)
	src := &connReader{c: c, pre: pre}
	br.Reset(src)
	msg := getBuf()
	defer func() {
		br.Reset(nil)
		readerPool.Put(br)
		putBuf(msg)
	}()
	var (
		hb         [ws.MaxHeaderSize - 2]byte
		op         ws.OpCode
		fragmented bool
	)
	idle := func() bool { return !fragmented && br.Buffered() == 0 && len(src.pre) == 0 }
	for {
		src.newFrame()
		h, err := ws.ReadHeaderBuffer(br, hb[:])
		if err != nil {
			c.closeNow()
			return false
		}
		state := ws.StateServerSide
		if fragmented {
			state = state.Set(ws.StateFragmented)
		}
		if err := ws.CheckHeader(h, state); err != nil {
			c.close(wsconn.StatusProtocolError, "")
			return false
		}
		if h.OpCode.IsControl() {
			var ctl [ws.MaxControlFramePayloadSize]byte
			p := ctl[:h.Length]
			if _, err := io.ReadFull(br, p); err != nil {
				c.closeNow()
				return false
			}
			ws.Cipher(p, h.Mask, 0)
			switch h.OpCode {
			case ws.OpPing:
				_ = c.writeFrame(ws.OpPong, p)
			case ws.OpClose:
				code := wsconn.StatusNormalClosure
				if len(p) >= 2 {
					code = wsconn.StatusCode(binary.BigEndian.Uint16(p))
					if ws.CheckCloseFrameData(code, string(p[2:])) != nil {
						code = wsconn.StatusProtocolError
					}
				} else if len(p) == 1 {
					code = wsconn.StatusProtocolError
				}
				c.close(code, "") // echo the peer's code (RFC 6455 5.5.1)
				return false
			}
		} else {
			if h.OpCode != ws.OpContinuation {
				op = h.OpCode
			}
			if h.Length > s.opts.MaxMessageSize-int64(len(*msg)) {
				c.close(wsconn.StatusMessageTooBig, "")
				return false
			}
			n := int(h.Length)
			*msg = grow(*msg, n)
			p := (*msg)[len(*msg) : len(*msg)+n]
			if _, err := io.ReadFull(br, p); err != nil {
				c.closeNow()
				return false
			}
			ws.Cipher(p, h.Mask, 0)
			*msg = (*msg)[:len(*msg)+n]
			fragmented = !h.Fin
			if h.Fin {
				if err := c.message(op, *msg); err != nil {
					return false
				}
				*msg = (*msg)[:0]
			}
		}
		if idle() {
			if src.timed {
				_ = c.nc.SetReadDeadline(time.Time{})
			}
			return true
		}
	}
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}

// message checks one complete data message and hands it to the handler.
// A non-nil error means the connection is closed.
func (c *conn) message(op ws.OpCode, p []byte) error {
	if op == ws.OpBinary && c.s.opts.Dialect == DialectAutopush {
		c.close(wsconn.StatusUnsupportedData, "")
		return errClosing
	}
	if !utf8.Valid(p) {
		c.close(wsconn.StatusInvalidPayload, "")
		return errClosing
	}
	if !c.s.handle(c, p) {
		return errClosing
	}
	return nil
}

// writeText writes one text message.
func (c *conn) writeText(p []byte) error { return c.writeFrame(ws.OpText, p) }

func (c *conn) writeFrame(op ws.OpCode, p []byte) error {
	b := getBuf()
	*b = wsconn.AppendFrame((*b)[:0], op, p, false)
	c.wmu.Lock()
	err := c.write(*b)
	c.wmu.Unlock()
	putBuf(b)
	if err != nil {
		c.closeNow()
	}
	return err
}

// write writes p under wmu: first what the socket takes at once (no
// deadline to set: usually all of it), then the rest with WriteTimeout.
func (c *conn) write(p []byte) error {
	if c.rc != nil {
		n, err := c.writeNow(p)
		if err != nil {
			return err
		}
		if p = p[n:]; len(p) == 0 {
			return nil
		}
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.s.opts.WriteTimeout))
	_, err := c.nc.Write(p)
	if err == nil {
		_ = c.nc.SetWriteDeadline(time.Time{})
	}
	return err
}

// writeMessage encodes m and writes it.
func (c *conn) writeMessage(m *ServerMessage) error {
	b := getBuf()
	*b = m.Append((*b)[:0])
	err := c.writeText(*b)
	putBuf(b)
	return err
}

// close sends a close frame (best effort) and closes the connection.
func (c *conn) close(code wsconn.StatusCode, reason string) {
	if c.markClosed() {
		var body [ws.MaxControlFramePayloadSize]byte
		binary.BigEndian.PutUint16(body[:], uint16(code))
		n := 2 + copy(body[2:min(len(body), 2+len(reason))], reason)
		b := getBuf()
		*b = wsconn.AppendFrame((*b)[:0], ws.OpClose, body[:n], false)
		c.wmu.Lock()
		_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = c.nc.Write(*b)
		c.wmu.Unlock()
		putBuf(b)
		c.finish()
	}
}

// closeNow closes without a closing handshake (the peer is gone).
func (c *conn) closeNow() {
	if c.markClosed() {
		c.finish()
	}
}

func (c *conn) markClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	return true
}

// finish releases the connection: poller, server maps, route.
func (c *conn) finish() {
	s := c.s
	s.poll.remove(c)
	_ = c.nc.Close()
	s.mu.Lock()
	delete(s.conns, c)
	c.mu.Lock()
	uaid, at := c.uaid, c.connectedAt
	c.mu.Unlock()
	mine := uaid != "" && s.byUAID[uaid] == c
	if mine {
		delete(s.byUAID, uaid)
	}
	s.mu.Unlock()
	if uaid != "" {
		s.stats.helloed.Add(-1)
		s.disconnect(uaid, Route{Node: s.opts.Node, ConnectedAt: at})
	}
}

func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}
