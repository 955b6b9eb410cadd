package httpipc

import (
	"context"
	"sync"
)

// writeQueue collects encoded frames. Whoever drains it takes everything
// queued in one swap and writes it with one Write (stream carrier) or one
// Send per frame (message carrier), so concurrent streams share system
// calls, and nothing is allocated per frame once the two buffers have
// grown. A DATA producer finding no write in progress drains the queue
// itself (no goroutine hand-off on the request path); control frames,
// queued by the read loop which must never block on the peer, wake the
// connection's writer goroutine instead.
//
// DATA producers wait while the queue holds high bytes or more. Control
// frames (queued by the read loop, which must never block on the peer) do
// not wait; if more than maxCtl bytes of them pile up between two swaps the
// peer is flooding us without reading, and the connection fails.
type writeQueue struct {
	mu        sync.Mutex
	buf       []byte
	ends      []int
	ctl       int
	maxCtl    int
	high      int
	spaceCh   chan struct{} // closed by take; created by a waiting producer
	kick      chan struct{} // cap 1: wakes the writer goroutine
	spare     []byte
	spareEnds []int
	writing   bool // a drain is in progress
	closed    bool // the connection ended: wake the writer after a drain
	failed    bool // a write failed: drop everything
	// write writes one batch; on error it has failed the connection.
	write func(buf []byte, ends []int) error
	// assignID numbers a client stream when its first frame is queued.
	assignID func(*stream)
}

func (q *writeQueue) init(high, maxCtl int) {
	q.high, q.maxCtl = high, maxCtl
	q.kick = make(chan struct{}, 1)
}

func (q *writeQueue) signal() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// control queues a connection or stream control frame without waiting.
func (q *writeQueue) control(f *Frame) error {
	q.mu.Lock()
	n := len(q.buf)
	q.buf = appendFrame(q.buf, f)
	q.ends = append(q.ends, len(q.buf))
	q.ctl += len(q.buf) - n
	flood := q.ctl > q.maxCtl
	// A drain in progress writes it (drainLocked loops until the queue
	// is empty): waking the writer goroutine would cost a switch and a
	// system call of its own.
	wake := !q.writing
	q.mu.Unlock()
	if wake {
		q.signal()
	}
	if flood {
		return ErrControlFlood
	}
	return nil
}

// data queues a followed by p as DATA frames of at most st.c.maxOut bytes (END_STREAM on
// the last if end), waiting for space while the queue is full.
// The wait ends early if ctx, or either of the done channels, is done; it
// then returns errWaitAborted (or ctx.Err()) and queues nothing.
func (q *writeQueue) data(ctx context.Context, st *stream, end bool, a, p []byte) error {
	stDone, connDone := st.done, st.c.done
	q.mu.Lock()
	for len(q.buf) >= q.high {
		if q.spaceCh == nil {
			q.spaceCh = make(chan struct{})
		}
		ch := q.spaceCh
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-stDone:
			return errWaitAborted
		case <-connDone:
			return errWaitAborted
		}
		q.mu.Lock()
	}
	id := st.ID()
	if id == 0 {
		q.assignID(st)
		if id = st.ID(); id == 0 { // aborted meanwhile
			q.mu.Unlock()
			return errWaitAborted
		}
	}
	max := st.c.maxOut
	for {
		k := min(len(a)+len(p), max)
		var flags Flags
		if end && k == len(a)+len(p) {
			flags = FlagEndStream
		}
		q.buf = appendHeader(q.buf, FrameData, id, flags, k)
		ka := min(k, len(a))
		q.buf = append(append(q.buf, a[:ka]...), p[:k-ka]...)
		a, p = a[ka:], p[k-ka:]
		q.ends = append(q.ends, len(q.buf))
		if len(a)+len(p) == 0 {
			break
		}
	}
	if q.writing {
		q.mu.Unlock()
		return nil
	}
	q.writing = true
	q.drainLocked()
	return nil
}

// drainLocked writes until the queue is empty, then clears writing. It is
// called with q.mu held and q.writing set, and returns with q.mu released.
func (q *writeQueue) drainLocked() {
	for len(q.buf) > 0 && !q.failed {
		buf, ends := q.buf, q.ends
		q.buf, q.ends, q.ctl = q.spare[:0], q.spareEnds[:0], 0
		q.spare, q.spareEnds = nil, nil
		if q.spaceCh != nil {
			close(q.spaceCh)
			q.spaceCh = nil
		}
		q.mu.Unlock()
		err := q.write(buf, ends)
		q.mu.Lock()
		q.spare, q.spareEnds = buf, ends
		if err != nil {
			q.failed = true
		}
	}
	if q.failed {
		q.buf, q.ends = q.buf[:0], q.ends[:0]
	}
	q.writing = false
	wake := q.closed
	q.mu.Unlock()
	if wake {
		q.signal()
	}
}

// drain writes what is queued unless a drain is already in progress.
func (q *writeQueue) drain() {
	q.mu.Lock()
	if q.writing || len(q.buf) == 0 {
		q.mu.Unlock()
		return
	}
	q.writing = true
	q.drainLocked()
}

// idle reports whether nothing is queued or being written.
func (q *writeQueue) idle() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return !q.writing && (len(q.buf) == 0 || q.failed)
}

func (q *writeQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}
