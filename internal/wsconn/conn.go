package wsconn

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// MessageType is the opcode of a data message: Text or Binary.
type MessageType = ws.OpCode

// Data message types.
const (
	Text   MessageType = ws.OpText
	Binary MessageType = ws.OpBinary
)

// DefaultReadLimit is the read limit of a Conn whose options left it zero.
const DefaultReadLimit = 1 << 20

// closeWait bounds the wait for the peer's close frame when the context
// given to Close has no deadline.
const closeWait = time.Second

// aLongTimeAgo is a deadline in the past, used to interrupt blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

// Conn is one WebSocket connection, client or server side.
//
// One goroutine may read while others write: ReadMessage calls are
// serialised among themselves, and so are writes. Control frames (ping,
// close) are answered by ReadMessage. After ReadMessage or a write returned
// an error other than a *CloseError, the connection is broken and the same
// error comes back from every later call of the same kind; close it.
type Conn struct {
	nc       net.Conn
	br       *bufio.Reader
	state    ws.State
	protocol string
	// allowUnmasked: a server side that accepts unmasked client frames.
	allowUnmasked bool
	header        http.Header // handshake response (client) or nil

	rmu   sync.Mutex
	limit int64
	hdr   [ws.MaxHeaderSize - 2]byte
	ctl   [ws.MaxControlFramePayloadSize]byte
	rerr  error

	wmu       sync.Mutex
	wbuf      []byte
	werr      error
	closeSent bool

	peerClosed chan struct{} // closed when a close frame came in or reading failed
	peerOnce   sync.Once
	closeOnce  sync.Once
	closeErr   error
}

func newConn(nc net.Conn, br *bufio.Reader, state ws.State, limit int64) *Conn {
	if limit <= 0 {
		limit = DefaultReadLimit
	}
	if br == nil {
		br = bufio.NewReaderSize(nc, 4096)
	}
	return &Conn{nc: nc, br: br, state: state, limit: limit, peerClosed: make(chan struct{})}
}

// Protocol returns the negotiated subprotocol, or "".
func (c *Conn) Protocol() string { return c.protocol }

// HandshakeHeader returns the headers of the server's 101 response on a
// client connection (nil on a server connection). Do not modify it.
func (c *Conn) HandshakeHeader() http.Header { return c.header }

// NetConn returns the underlying connection. Reading or writing it directly
// corrupts the WebSocket stream; it is meant for addresses and for tests
// that write illegal bytes on purpose.
func (c *Conn) NetConn() net.Conn { return c.nc }

// SetReadLimit sets the largest message ReadMessage accepts; n <= 0 means
// DefaultReadLimit. Call it before reading.
func (c *Conn) SetReadLimit(n int64) {
	if n <= 0 {
		n = DefaultReadLimit
	}
	c.rmu.Lock()
	c.limit = n
	c.rmu.Unlock()
}

// deadline applies ctx to one direction of the connection. It returns a
// function that must be called when the I/O is over; it reports whether the
// context interrupted the I/O.
func deadline(ctx context.Context, set func(time.Time) error) (done func() bool) {
	d, hasDeadline := ctx.Deadline()
	if hasDeadline {
		_ = set(d)
	}
	if ctx.Done() == nil {
		return func() bool { return false }
	}
	stop := context.AfterFunc(ctx, func() { _ = set(aLongTimeAgo) })
	return func() bool {
		if !stop() {
			return true // fired: the deadline is poisoned, the caller fails
		}
		if hasDeadline {
			_ = set(time.Time{})
		}
		return false
	}
}

// ReadMessage reads the next data message, appends its payload to dst and
// returns the grown slice. Pings are answered and pongs skipped on the way.
// A close frame from the peer is answered and returned as a *CloseError.
// A message longer than the read limit is refused as soon as a frame
// header announces it: the connection is closed with 1009 and
// ErrMessageTooBig returned, without reading the payload.
func (c *Conn) ReadMessage(ctx context.Context, dst []byte) (MessageType, []byte, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.rerr != nil {
		return 0, dst, c.rerr
	}
	done := deadline(ctx, c.nc.SetReadDeadline)
	op, out, err := c.readMessage(dst)
	if done() && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		c.rerr = err
		c.peerOnce.Do(func() { close(c.peerClosed) })
	}
	return op, out, err
}

func (c *Conn) readMessage(dst []byte) (MessageType, []byte, error) {
	var (
		op    MessageType
		start = len(dst)
		state = c.state
	)
	for {
		h, err := ws.ReadHeaderBuffer(c.br, c.hdr[:])
		if err != nil {
			return 0, dst, c.ioErr(err)
		}
		check := state
		if c.allowUnmasked && !h.Masked {
			check = check.Clear(ws.StateServerSide)
		}
		if err := ws.CheckHeader(h, check); err != nil {
			return 0, dst, c.fail(StatusProtocolError, fmt.Errorf("%w: %v", ErrProtocol, err))
		}
		if h.OpCode.IsControl() {
			if err := c.control(h); err != nil {
				return 0, dst, err
			}
			continue
		}
		if h.OpCode != ws.OpContinuation {
			op = h.OpCode
		}
		if h.Length > c.limit-int64(len(dst)-start) {
			return 0, dst, c.fail(StatusMessageTooBig, ErrMessageTooBig)
		}
		n := int(h.Length)
		dst = grow(dst, n)
		p := dst[len(dst) : len(dst)+n]
		if _, err := io.ReadFull(c.br, p); err != nil {
			return 0, dst, c.ioErr(err)
		}
		if h.Masked {
			ws.Cipher(p, h.Mask, 0)
		}
		dst = dst[:len(dst)+n]
		if !h.Fin {
			state = state.Set(ws.StateFragmented)
			continue
		}
		if op == ws.OpText && !utf8.Valid(dst[start:]) {
			return 0, dst, c.fail(StatusInvalidPayload, fmt.Errorf("%w: invalid UTF-8 in text message", ErrProtocol))
		}
		return op, dst, nil
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

// control handles one control frame whose header was read.
func (c *Conn) control(h ws.Header) error {
	p := c.ctl[:h.Length] // CheckHeader bounded Length to 125
	if _, err := io.ReadFull(c.br, p); err != nil {
		return c.ioErr(err)
	}
	if h.Masked {
		ws.Cipher(p, h.Mask, 0)
	}
	switch h.OpCode {
	case ws.OpPing:
		// Best effort: a failed pong shows up on the next write.
		ctx, cancel := context.WithTimeout(context.Background(), closeWait)
		defer cancel()
		_ = c.writeFrame(ctx, ws.OpPong, p)
		return nil
	case ws.OpPong:
		return nil
	}
	ce := &CloseError{Code: StatusNoStatus}
	if len(p) >= 2 {
		ce.Code = StatusCode(binary.BigEndian.Uint16(p))
		ce.Reason = string(p[2:])
	}
	reply := ce.Code
	switch {
	case len(p) == 1, len(p) >= 2 && ws.CheckCloseFrameData(ce.Code, ce.Reason) != nil:
		reply = StatusProtocolError
	case len(p) == 0:
		reply = StatusNormalClosure
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeWait)
	defer cancel()
	_ = c.sendClose(ctx, reply, "")
	return ce
}

// ioErr maps a read error; a clean EOF before a close frame is
// io.ErrUnexpectedEOF so callers can tell an abrupt end from a close.
func (c *Conn) ioErr(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// fail closes the connection with code after a violation by the peer.
func (c *Conn) fail(code StatusCode, err error) error {
	ctx, cancel := context.WithTimeout(context.Background(), closeWait)
	defer cancel()
	_ = c.sendClose(ctx, code, "")
	c.CloseNow()
	return err
}

// WriteText writes p as one text message.
func (c *Conn) WriteText(ctx context.Context, p []byte) error {
	return c.WriteMessage(ctx, Text, p)
}

// WriteMessage writes p as one unfragmented message of type op. Client
// connections mask a private copy; p is never modified.
func (c *Conn) WriteMessage(ctx context.Context, op MessageType, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return ErrClosed
	}
	return c.writeLocked(ctx, op, p)
}

// WriteRaw writes b to the connection as is, for tests that send illegal
// frames on purpose.
func (c *Conn) WriteRaw(ctx context.Context, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	done := deadline(ctx, c.nc.SetWriteDeadline)
	_, err := c.nc.Write(b)
	if done() && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		c.werr = err
	}
	return err
}

func (c *Conn) writeFrame(ctx context.Context, op ws.OpCode, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return ErrClosed
	}
	return c.writeLocked(ctx, op, p)
}

func (c *Conn) writeLocked(ctx context.Context, op ws.OpCode, p []byte) error {
	if c.werr != nil {
		return c.werr
	}
	h := ws.Header{Fin: true, OpCode: op, Length: int64(len(p))}
	if c.state.ClientSide() {
		h.Masked = true
		h.Mask = ws.NewMask()
	}
	buf := appendHeader(c.wbuf[:0], h)
	hl := len(buf)
	buf = append(buf, p...)
	if h.Masked {
		ws.Cipher(buf[hl:], h.Mask, 0)
	}
	if cap(buf) <= 64<<10 {
		c.wbuf = buf // keep modest buffers for the next message
	}
	done := deadline(ctx, c.nc.SetWriteDeadline)
	_, err := c.nc.Write(buf)
	if done() && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		c.werr = err
	}
	return err
}

// appendHeader appends the wire form of h (RFC 6455 section 5.2).
func appendHeader(b []byte, h ws.Header) []byte {
	b0 := byte(h.OpCode) | h.Rsv<<4
	if h.Fin {
		b0 |= 0x80
	}
	var mask byte
	if h.Masked {
		mask = 0x80
	}
	switch {
	case h.Length < 126:
		b = append(b, b0, mask|byte(h.Length))
	case h.Length <= 0xffff:
		b = append(b, b0, mask|126)
		b = binary.BigEndian.AppendUint16(b, uint16(h.Length))
	default:
		b = append(b, b0, mask|127)
		b = binary.BigEndian.AppendUint64(b, uint64(h.Length))
	}
	if h.Masked {
		b = append(b, h.Mask[:]...)
	}
	return b
}

// sendClose writes a close frame once; later calls do nothing.
func (c *Conn) sendClose(ctx context.Context, code StatusCode, reason string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return nil
	}
	c.closeSent = true
	if len(reason) > ws.MaxControlFramePayloadSize-2 {
		reason = reason[:ws.MaxControlFramePayloadSize-2]
	}
	var body [ws.MaxControlFramePayloadSize]byte
	binary.BigEndian.PutUint16(body[:], uint16(code))
	n := 2 + copy(body[2:], reason)
	return c.writeLocked(ctx, ws.OpClose, body[:n])
}

// Close performs the closing handshake: it sends a close frame with code
// and reason (truncated to 123 bytes), waits until the peer answers with
// its own close frame, ctx is done, or one second passed when ctx has no
// deadline, then closes the connection. If another goroutine is blocked in
// ReadMessage, that goroutine receives the peer's answer and Close waits
// for it to do so.
func (c *Conn) Close(ctx context.Context, code StatusCode, reason string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, closeWait)
		defer cancel()
	}
	err := c.sendClose(ctx, code, reason)
	if err == nil {
		if c.rmu.TryLock() {
			c.drain(ctx)
			c.rmu.Unlock()
		} else {
			select {
			case <-c.peerClosed:
			case <-ctx.Done():
			}
		}
	}
	if cerr := c.CloseNow(); err == nil {
		err = cerr
	}
	return err
}

// drain reads and drops frames until the peer's close frame, an error, or
// the end of ctx. The caller holds rmu.
func (c *Conn) drain(ctx context.Context) {
	if c.rerr != nil {
		return
	}
	done := deadline(ctx, c.nc.SetReadDeadline)
	defer done()
	var buf [512]byte
	for {
		h, err := ws.ReadHeaderBuffer(c.br, c.hdr[:])
		if err != nil {
			c.rerr = c.ioErr(err)
			return
		}
		if h.OpCode == ws.OpClose {
			c.rerr = &CloseError{Code: StatusNoStatus}
			c.peerOnce.Do(func() { close(c.peerClosed) })
			return
		}
		for n := h.Length; n > 0; {
			k, err := c.br.Read(buf[:min(n, int64(len(buf)))])
			if err != nil {
				c.rerr = c.ioErr(err)
				return
			}
			n -= int64(k)
		}
	}
}

// CloseNow closes the underlying connection without a closing handshake.
// It is safe to call more than once and from any goroutine; it unblocks
// pending reads and writes.
func (c *Conn) CloseNow() error {
	c.closeOnce.Do(func() { c.closeErr = c.nc.Close() })
	return c.closeErr
}
