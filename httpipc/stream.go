package httpipc

import (
	"bufio"
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// stream is one request/response exchange. The receive side is a pipe the
// read loop fills and one consumer (a bhttp reader) drains; the send side
// turns writes into DATA frames within the peer's credit.
type stream struct {
	c    *conn
	sid  atomic.Uint64 // 0 until a client stream's first frame is queued
	done chan struct{} // closed when the stream is aborted
	err  error         // why; set before done is closed

	// Server streams: the handler's context, canceled by abort.
	ctx    context.Context
	cancel context.CancelFunc

	// Guarded by c.mu.
	scredit    int64
	localDone  bool // END_STREAM sent (or aborted)
	remoteDone bool // END_STREAM received (or aborted)
	refused    bool // a client stream that got no id: the connection was going away
	removed    bool // no longer in c.streams
	finPending bool // our END_STREAM is being queued: keep counting st
	released   bool // no longer counted in c.nActive
	aborted    bool

	// Receive side, guarded by rmu.
	rmu      sync.Mutex
	rbuf     recvBuf
	rend     bool
	rerr     error
	rwin     int64 // credit the peer still has on this stream
	runacked int64
	rsig     chan struct{} // cap 1: wakes the consumer
	// A consumer waiting in Read lends its buffer: the read loop copies
	// the next payload straight into it (one copy instead of two).
	waitBuf []byte
	waitN   int
}

// ID returns the stream id (0 for a client stream not yet sent).
func (st *stream) ID() uint64 { return st.sid.Load() }

// deliver appends a DATA payload (read loop).
func (st *stream) deliver(data []byte, end bool) error {
	n := int64(len(data))
	st.rmu.Lock()
	if st.rend {
		st.rmu.Unlock()
		return protoErr(ErrFlowControl, "DATA after END_STREAM")
	}
	if n > st.rwin {
		st.rmu.Unlock()
		return protoErr(ErrFlowControl, "DATA beyond stream credit")
	}
	st.rwin -= n
	st.rend = end
	if st.rerr != nil { // aborted locally: drop
		st.rmu.Unlock()
		st.c.returnConnCredit(n)
		return nil
	}
	if st.waitBuf != nil && st.waitN == 0 && st.rbuf.n == 0 && len(data) > 0 {
		m := copy(st.waitBuf, data)
		st.waitN, data = m, data[m:]
	}
	if len(data) > 0 {
		st.rbuf.write(data)
	}
	st.rmu.Unlock()
	st.wake()
	return nil
}

func (st *stream) wake() {
	select {
	case st.rsig <- struct{}{}:
	default:
	}
}

// Read drains the receive side; it returns io.EOF after END_STREAM and the
// stream's error after an abort.
func (st *stream) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	st.rmu.Lock()
	n := 0
	for st.rbuf.n == 0 {
		if st.rerr != nil {
			err := st.rerr
			st.rmu.Unlock()
			return 0, err
		}
		if st.rend {
			st.rbuf.reset()
			st.rmu.Unlock()
			return 0, io.EOF
		}
		st.waitBuf, st.waitN = p, 0
		st.rmu.Unlock()
		<-st.rsig
		st.rmu.Lock()
		n, st.waitBuf, st.waitN = st.waitN, nil, 0
		if n > 0 {
			break
		}
	}
	if n == 0 {
		n = st.rbuf.read(p)
	}
	var inc int64
	if !st.rend {
		st.runacked += int64(n)
		if st.runacked >= int64(st.c.opts.InitialStreamCredit)/4 {
			inc, st.runacked = st.runacked, 0
			st.rwin += inc
		}
	}
	st.rmu.Unlock()
	if inc > 0 {
		if err := st.c.wq.control(&Frame{Type: FrameCredit, StreamID: st.ID(), Increment: uint64(inc)}); err != nil {
			st.c.fail(connError(ErrCodeProtocol, err), ErrCodeProtocol)
		}
	}
	st.c.returnConnCredit(int64(n))
	return n, nil
}

// abort ends the stream with err. With sendReset a RESET with code is sent
// and buffered data is dropped; otherwise (peer RESET, lost connection) a
// message that was received completely stays readable.
func (st *stream) abort(err error, sendReset bool, code ErrCode) {
	c := st.c
	c.mu.Lock()
	if st.aborted || (st.localDone && st.remoteDone) {
		c.mu.Unlock()
		return
	}
	st.aborted, st.err = true, err
	st.localDone, st.remoteDone = true, true
	if !st.removed {
		c.removeLocked(st)
	}
	close(st.done)
	connOK := c.err == nil
	c.mu.Unlock()
	if st.cancel != nil {
		st.cancel()
	}
	if se, ok := err.(*StreamError); ok && se.StreamID == 0 {
		se.StreamID = st.ID()
	}
	if sendReset && connOK && st.ID() != 0 {
		reason := ""
		if se, ok := err.(*StreamError); ok && code != ErrCodeInternal && code != ErrCodeProtocol {
			reason = se.Reason // no internal detail to the peer
		}
		if cerr := c.wq.control(&Frame{Type: FrameReset, StreamID: st.ID(), Code: code, Reason: reason}); cerr != nil {
			c.fail(connError(ErrCodeProtocol, cerr), ErrCodeProtocol)
		}
	}
	// A local abort drops what was received. After a peer RESET or a lost
	// connection, what arrived stays readable and the error follows it
	// (unless the message was complete).
	st.rmu.Lock()
	if !st.rend && st.rerr == nil {
		st.rerr = err
	}
	st.rmu.Unlock()
	if sendReset {
		st.discardRecv()
	}
	st.wake()
}

// ended reports whether both directions of st are over (an abort would
// do nothing).
func (st *stream) ended() bool {
	st.c.mu.Lock()
	defer st.c.mu.Unlock()
	return st.aborted || (st.localDone && st.remoteDone)
}

// discardRecv drops unread received bytes, returning their connection
// credit; later reads fail. Called when the consumer is done with st.
func (st *stream) discardRecv() {
	st.rmu.Lock()
	drop := st.rbuf.n
	st.rbuf.reset()
	if st.rerr == nil {
		st.rerr = errBodyClosed
	}
	st.rmu.Unlock()
	if drop > 0 {
		st.c.mu.Lock()
		ok := st.c.err == nil
		st.c.mu.Unlock()
		if ok {
			st.c.returnConnCredit(int64(drop))
		}
	}
}

// write sends p as DATA frames within credit; end sets END_STREAM on the
// last one (an empty p with end sends an empty END_STREAM frame).
func (st *stream) write(ctx context.Context, p []byte, end bool) error {
	return st.write2(ctx, nil, p, end)
}

// write2 is write for the bytes of a followed by those of b, sent as if
// they were one slice (a buffered prefix and a large write go out in the
// same batch of frames).
func (st *stream) write2(ctx context.Context, a, p []byte, end bool) error {
	c := st.c
	for {
		n := 0
		if len(a)+len(p) > 0 {
			var err error
			if n, err = c.takeCredit(ctx, st, len(a)+len(p)); err != nil {
				return st.writeErr(err)
			}
		}
		fin := end && n == len(a)+len(p)
		if fin {
			// Close our side before END_STREAM can reach the peer: once it
			// has, the peer may treat the stream as closed and send on it
			// again (frames on a closed stream are ignored), which must
			// not meet a half-closed stream here. The stream still counts
			// as active until the frame is queued, so a connection that is
			// going away does not close before its last stream's last
			// frame is in the queue.
			c.mu.Lock()
			st.localDone = true
			st.finPending = true
			c.maybeRemoveLocked(st)
			c.mu.Unlock()
		}
		na := min(n, len(a))
		err := c.wq.data(ctx, st, fin, a[:na], p[:n-na])
		if fin {
			c.mu.Lock()
			st.finPending = false
			if st.removed {
				c.removeLocked(st)
			}
			c.mu.Unlock()
		}
		if err != nil {
			return st.writeErr(err)
		}
		a, p = a[na:], p[n-na:]
		if fin {
			return nil
		}
		if len(a)+len(p) == 0 {
			return nil
		}
	}
}

// writeErr maps an aborted wait to the reason the stream or connection
// ended.
func (st *stream) writeErr(err error) error {
	if !errors.Is(err, errWaitAborted) {
		return err
	}
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.err != nil {
		return st.err
	}
	if st.refused {
		return &StreamError{Code: ErrCodeRefusedStream, Cause: wrapf(ErrStreamRefused, "connection going away before the stream was sent")}
	}
	if e := c.errLocked(); e != nil {
		return peerGone(e)
	}
	return ErrPeerGone
}

// streamWriter coalesces writes into DATA frames of maxOut bytes, so the
// small writes of a bhttp.Writer (length prefixes, short chunks) do not
// each become a frame.
type streamWriter struct {
	st  *stream
	ctx context.Context
	buf []byte
}

func (w *streamWriter) Write(p []byte) (int, error) {
	total := len(p)
	max := w.st.c.maxOut
	for len(p) > 0 {
		if len(w.buf)+len(p) >= 2*max {
			// What is buffered and whole frames of p go out together,
			// without copying p.
			k := len(w.buf) + len(p)
			k -= k % max
			k -= len(w.buf)
			err := w.st.write2(w.ctx, w.buf, p[:k], false)
			w.buf = w.buf[:0]
			if err != nil {
				return total - len(p), err
			}
			p = p[k:]
			continue
		}
		if w.buf == nil {
			w.buf = getBuf(max)
		}
		n := copy(w.buf[len(w.buf):max], p)
		w.buf = w.buf[:len(w.buf)+n]
		p = p[n:]
		if len(w.buf) == max {
			if err := w.flush(false); err != nil {
				return total - len(p), err
			}
		}
	}
	return total, nil
}

// flush sends what is buffered (with END_STREAM if end).
func (w *streamWriter) flush(end bool) error {
	if len(w.buf) == 0 && !end {
		return nil
	}
	err := w.st.write(w.ctx, w.buf, end)
	if w.buf != nil {
		w.buf = w.buf[:0]
	}
	if end || err != nil {
		putBuf(w.buf)
		w.buf = nil
	}
	return err
}

// discard drops what is buffered.
func (w *streamWriter) discard() {
	putBuf(w.buf)
	w.buf = nil
}

// recvBuf is a FIFO of pooled frame-sized chunks: receiving a large body
// allocates nothing once the pool is warm.
type recvBuf struct {
	chunks [][]byte
	off    int       // read offset in chunks[0]
	n      int       // unread bytes
	first  [2][]byte // chunks' first backing array: most messages fit
}

func (b *recvBuf) write(p []byte) {
	for len(p) > 0 {
		k := len(b.chunks)
		if k == 0 || len(b.chunks[k-1]) == cap(b.chunks[k-1]) {
			if b.chunks == nil {
				b.chunks = b.first[:0]
			}
			b.chunks = append(b.chunks, getBuf(DefaultMaxFrameSize))
			k++
		}
		c := b.chunks[k-1]
		m := copy(c[len(c):cap(c)], p)
		b.chunks[k-1] = c[:len(c)+m]
		p = p[m:]
		b.n += m
	}
}

func (b *recvBuf) read(p []byte) int {
	n := 0
	for n < len(p) && b.n > 0 {
		c := b.chunks[0]
		m := copy(p[n:], c[b.off:])
		b.off += m
		n += m
		b.n -= m
		if b.off == len(c) {
			if len(b.chunks) == 1 {
				b.chunks[0], b.off = c[:0], 0
				break
			}
			putBuf(c)
			copy(b.chunks, b.chunks[1:])
			b.chunks[len(b.chunks)-1] = nil
			b.chunks = b.chunks[:len(b.chunks)-1]
			b.off = 0
		}
	}
	return n
}

// peek returns the unread bytes if there are at most max of them.
func (b *recvBuf) peek(max int) ([]byte, bool) {
	if b.n > max {
		return nil, false
	}
	var out []byte
	for i, c := range b.chunks {
		if i == 0 {
			c = c[b.off:]
		}
		out = append(out, c...)
	}
	return out, true
}

func (b *recvBuf) reset() {
	for _, c := range b.chunks {
		putBuf(c)
	}
	*b = recvBuf{}
}

var bufioPool sync.Pool

// getBufio returns a pooled 4 KiB bufio.Reader reading st.
func getBufio(st *stream) *bufio.Reader {
	if br, ok := bufioPool.Get().(*bufio.Reader); ok {
		br.Reset(st)
		return br
	}
	return bufio.NewReaderSize(st, 4096)
}

func putBufio(br *bufio.Reader) {
	br.Reset(nil)
	bufioPool.Put(br)
}

// bufPool holds frame-sized arrays. It stores array pointers, which a
// slice of the full capacity converts back to without allocating (a
// pooled *[]byte would cost an allocation on every Put).
var bufPool = sync.Pool{New: func() any { return new([DefaultMaxFrameSize]byte) }}

func getBuf(n int) []byte {
	if n <= DefaultMaxFrameSize {
		return bufPool.Get().(*[DefaultMaxFrameSize]byte)[:0]
	}
	return make([]byte, 0, n)
}

func putBuf(b []byte) {
	if cap(b) == DefaultMaxFrameSize {
		bufPool.Put((*[DefaultMaxFrameSize]byte)(b[:DefaultMaxFrameSize]))
	}
}
