package httpipc

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// conn is one httpipc connection, client or server side. A read goroutine
// (readLoop) dispatches frames; a write goroutine (writeLoop) drains the
// writeQueue; streams are served or driven by their own goroutines.
type conn struct {
	client bool
	car    carrier
	opts   Options
	srv    *Server // server side only
	peer   peerSettings
	maxOut int // largest DATA payload we send
	remote string

	ctx    context.Context // canceled when the connection ends
	cancel context.CancelFunc
	wq     writeQueue

	mu         sync.Mutex
	streams    map[uint64]*stream
	nextID     uint64 // next stream id we open (client)
	lastPeerID uint64 // highest stream id the peer opened (server)
	nActive    int    // open streams counted against max_concurrent_streams
	slotCh     chan struct{}
	scredit    int64 // connection credit for DATA we send
	creditCh   chan struct{}
	rwin       int64 // connection credit the peer still has
	runacked   int64 // consumed connection bytes not yet credited
	goAwayRecv bool
	goAwayLast uint64
	goAwayErr  error
	closing    bool // no new streams; close when the last one ends
	drainPing  bool // the PING after our GOAWAY is out (closeWhenPeerCaughtUp)
	err        error
	done       chan struct{}
	idleTimer  *time.Timer

	lastRead   atomic.Int64 // unix nanos of the last frame received
	pingTimer  *time.Timer
	pingSentAt int64 // guarded by mu; 0 when no PING is outstanding
	pingData   [PingDataLen]byte
	readDone   chan struct{}
}

func newConn(ctx context.Context, car carrier, opts Options, client bool) *conn {
	c := &conn{
		client:   client,
		car:      car,
		opts:     opts.resolved(),
		streams:  make(map[uint64]*stream),
		nextID:   1,
		done:     make(chan struct{}),
		readDone: make(chan struct{}),
		remote:   car.remoteAddr(),
	}
	if m := car.maxFrameSize(); m > 0 && c.opts.MaxFrameSize > m {
		c.opts.MaxFrameSize = m
	}
	car.setMaxReadFrameSize(c.opts.MaxFrameSize)
	c.rwin = int64(c.opts.InitialConnCredit)
	c.ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	c.wq.init(max(64<<10, 4*c.opts.MaxFrameSize), c.opts.MaxQueuedControl)
	c.wq.assignID = c.assignID
	c.wq.write = c.writeBatch
	return c
}

// handshake sends our HELLO, reads the peer's and starts the loops. On
// error the carrier is closed.
func (c *conn) handshake(ctx context.Context) error {
	go c.writeLoop()
	maxStreams := c.opts.MaxConcurrentStreams
	if c.client {
		maxStreams = 0 // version 1 has no server-initiated streams
	}
	c.wq.control(helloFrame(&c.opts, maxStreams))
	stop := context.AfterFunc(ctx, func() { c.car.close() })
	f, err := c.car.readFrame(ctx)
	if !stop() {
		err = ctx.Err()
	}
	if err == nil {
		c.peer, err = parseHello(f)
	}
	if err != nil {
		if ce := (*ConnectionError)(nil); errors.As(err, &ce) {
			// fail queues GOAWAY; the write loop sends it, then closes
			// the carrier (within a second against a peer that does not
			// read). Closing here would lose the GOAWAY.
			c.fail(err, ce.Code)
		} else {
			c.fail(peerGone(err), 0)
			c.car.close()
		}
		close(c.readDone)
		return err
	}
	c.maxOut = c.opts.MaxFrameSize // our carrier bound
	if uint64(c.maxOut) > c.peer.maxFrameSize {
		c.maxOut = int(c.peer.maxFrameSize)
	}
	c.scredit = clampCredit(c.peer.connCredit)
	c.lastRead.Store(time.Now().UnixNano())
	if c.opts.ReadIdleTimeout > 0 {
		c.pingTimer = time.AfterFunc(c.opts.ReadIdleTimeout, c.checkAlive)
	}
	c.mu.Lock()
	c.armIdleLocked()
	c.mu.Unlock()
	return nil
}

func clampCredit(v uint64) int64 {
	if v > bhttp.MaxVarint {
		return bhttp.MaxVarint
	}
	return int64(v)
}

// peerGoneError marks the loss of the connection.
type peerGoneError struct{ cause error }

func (e *peerGoneError) Error() string {
	if e.cause == nil || e.cause == io.EOF {
		return ErrPeerGone.Error()
	}
	return ErrPeerGone.Error() + ": " + e.cause.Error()
}
func (e *peerGoneError) Unwrap() []error { return []error{ErrPeerGone, e.cause} }

func peerGone(cause error) error {
	if cause != nil && (errors.Is(cause, ErrPeerGone) || errors.Is(cause, ErrClosed)) {
		return cause
	}
	return &peerGoneError{cause}
}

// errWaitAborted is returned by waits that ended because the stream or the
// connection ended; callers then report the stream's error.
var errWaitAborted = errors.New("httpipc: wait aborted")

// writeLoop drains the write queue when woken (control frames), and closes
// the carrier once the connection ended and the queue is written.
func (c *conn) writeLoop() {
	done := c.done
	for {
		select {
		case <-c.wq.kick:
		case <-done:
			done = nil
		}
		c.wq.drain()
		if done == nil && c.wq.idle() {
			c.car.close()
			return
		}
	}
}

func (c *conn) writeBatch(buf []byte, ends []int) error {
	if err := c.car.writeBatch(c.ctx, buf, ends); err != nil {
		c.fail(peerGone(err), 0)
		c.car.close()
		return err
	}
	return nil
}

// readLoop dispatches frames until the connection ends.
func (c *conn) readLoop() {
	defer close(c.readDone)
	for {
		f, err := c.car.readFrame(c.ctx)
		if err != nil {
			var ce *ConnectionError
			switch {
			case errors.As(err, &ce):
				c.fail(err, ce.Code)
			default:
				c.fail(peerGone(err), 0)
			}
			return
		}
		c.lastRead.Store(time.Now().UnixNano())
		if err := c.dispatch(f); err != nil {
			code := ErrCodeProtocol
			var ce *ConnectionError
			if errors.As(err, &ce) {
				code = ce.Code
			}
			c.fail(err, code)
			return
		}
	}
}

func protoErr(sentinel error, detail string) error {
	return connError(ErrCodeProtocol, wrapf(sentinel, detail))
}

func (c *conn) dispatch(f *Frame) error {
	switch f.Type {
	case FrameHello:
		return protoErr(ErrHandshake, "second HELLO")
	case FrameData:
		return c.onData(f)
	case FrameReset:
		st, err := c.lookup(f.StreamID)
		if st != nil {
			st.abort(&StreamError{Code: f.Code, Remote: true, Reason: f.Reason}, false, 0)
		}
		return err
	case FrameCredit:
		return c.onCredit(f)
	case FramePing:
		if f.Flags&FlagAck != 0 {
			if string(f.Data) == goAwayPing {
				// The peer has read our GOAWAY: whatever stream it opened
				// before was refused on the way; close now.
				go c.closeGracefully()
			}
			return nil // any frame proves liveness; see checkAlive
		}
		pong := Frame{Type: FramePing, Flags: FlagAck, Data: f.Data}
		if err := c.wq.control(&pong); err != nil {
			return connError(ErrCodeProtocol, err)
		}
	case FrameGoAway:
		c.onGoAway(f)
	}
	return nil // unknown types are ignored
}

// lookup returns the open stream id, or nil and nil for a stream that was
// closed, or an error for an id that was never opened.
func (c *conn) lookup(id uint64) (*stream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lookupLocked(id)
}

func (c *conn) lookupLocked(id uint64) (*stream, error) {
	if st := c.streams[id]; st != nil {
		return st, nil
	}
	if c.client {
		if id%2 == 1 && id < c.nextID {
			return nil, nil
		}
	} else if id%2 == 1 && id <= c.lastPeerID {
		return nil, nil
	}
	return nil, protoErr(ErrStreamID, "frame on idle stream "+strconv.FormatUint(id, 10))
}

func (c *conn) onData(f *Frame) error {
	n := int64(len(f.Data))
	c.mu.Lock()
	if n > c.rwin {
		c.mu.Unlock()
		return protoErr(ErrFlowControl, "DATA beyond connection credit")
	}
	c.rwin -= n
	st := c.streams[f.StreamID]
	if st == nil {
		var refuse bool
		var err error
		st, refuse, err = c.openPeerStreamLocked(f.StreamID)
		if err != nil {
			c.mu.Unlock()
			return err
		}
		if st == nil { // closed or refused: account the bytes at once
			c.runacked += n
			inc := c.creditDueLocked()
			c.mu.Unlock()
			if refuse {
				c.wq.control(&Frame{Type: FrameReset, StreamID: f.StreamID, Code: ErrCodeRefusedStream})
			}
			return c.sendConnCredit(inc)
		}
	}
	if f.EndStream() {
		st.remoteDone = true
	}
	c.mu.Unlock()
	if err := st.deliver(f.Data, f.EndStream()); err != nil {
		return err
	}
	if f.EndStream() {
		c.mu.Lock()
		c.maybeRemoveLocked(st)
		c.mu.Unlock()
	}
	return nil
}

// openPeerStreamLocked handles DATA on an unknown stream: it returns the new
// stream, or nil if the id is closed (refuse reports a refused new
// stream), or a connection error for an illegal id.
func (c *conn) openPeerStreamLocked(id uint64) (st *stream, refuse bool, err error) {
	if c.client || id%2 == 0 {
		if c.client && id%2 == 1 && id < c.nextID {
			return nil, false, nil
		}
		return nil, false, protoErr(ErrStreamID, "DATA on stream "+strconv.FormatUint(id, 10)+" that this side did not open")
	}
	if id <= c.lastPeerID {
		return nil, false, nil // closed
	}
	c.lastPeerID = id
	if c.closing || c.err != nil || c.nActive >= c.opts.MaxConcurrentStreams {
		return nil, true, nil
	}
	st = c.newStreamLocked(id)
	c.srv.startStream(c, st)
	return st, false, nil
}

func (c *conn) newStreamLocked(id uint64) *stream {
	st := &stream{
		c:       c,
		done:    make(chan struct{}),
		rsig:    make(chan struct{}, 1),
		rwin:    int64(c.opts.InitialStreamCredit),
		scredit: clampCredit(c.peer.streamCredit),
	}
	if !c.client {
		st.ctx, st.cancel = context.WithCancel(c.ctx)
	}
	if id != 0 {
		st.sid.Store(id)
		c.streams[id] = st
	}
	c.nActive++
	if c.idleTimer != nil {
		c.idleTimer.Stop()
	}
	return st
}

func (c *conn) onCredit(f *Frame) error {
	inc := int64(f.Increment)
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.StreamID == 0 {
		if c.scredit > bhttp.MaxVarint-inc {
			return protoErr(ErrFlowControl, "connection credit above 2^62-1")
		}
		c.scredit += inc
	} else {
		st, err := c.lookupLocked(f.StreamID)
		if st == nil {
			return err
		}
		if st.scredit > bhttp.MaxVarint-inc {
			return protoErr(ErrFlowControl, "stream credit above 2^62-1")
		}
		st.scredit += inc
	}
	if c.creditCh != nil {
		close(c.creditCh)
		c.creditCh = nil
	}
	return nil
}

func (c *conn) onGoAway(f *Frame) {
	c.mu.Lock()
	c.goAwayRecv, c.goAwayLast, c.closing = true, f.LastStreamID, true
	if f.Code != ErrCodeNo {
		c.goAwayErr = &ConnectionError{Code: f.Code, Remote: true, Reason: f.Reason}
	}
	var refused []*stream
	if c.client {
		for id, st := range c.streams {
			if id > f.LastStreamID {
				refused = append(refused, st)
			}
		}
	}
	empty := c.nActive == 0
	c.mu.Unlock()
	for _, st := range refused {
		st.abort(&StreamError{Code: ErrCodeRefusedStream, Cause: wrapf(ErrStreamRefused, "above GOAWAY last stream id")}, false, 0)
	}
	if empty {
		c.closeGracefully()
	}
}

// maybeRemoveLocked forgets st once both directions have ended.
func (c *conn) maybeRemoveLocked(st *stream) {
	if st.localDone && st.remoteDone && !st.removed {
		c.removeLocked(st)
	}
}

// removeLocked forgets st: frames that still arrive for it meet a closed
// stream. It stops counting as active (which may close a connection that
// is going away) only once its last frame is queued: until then the
// connection must not close under it.
func (c *conn) removeLocked(st *stream) {
	if !st.removed {
		st.removed = true
		delete(c.streams, st.ID())
	}
	if st.finPending || st.released {
		return
	}
	st.released = true
	c.nActive--
	if c.slotCh != nil {
		close(c.slotCh)
		c.slotCh = nil
	}
	if c.nActive == 0 {
		if c.closing {
			go c.closeWhenPeerCaughtUp()
		} else {
			c.armIdleLocked()
		}
	}
}

func (c *conn) armIdleLocked() {
	if c.opts.IdleTimeout <= 0 || c.err != nil {
		return
	}
	if c.idleTimer == nil {
		c.idleTimer = time.AfterFunc(c.opts.IdleTimeout, c.onIdle)
	} else {
		c.idleTimer.Reset(c.opts.IdleTimeout)
	}
}

func (c *conn) onIdle() {
	c.mu.Lock()
	idle := c.nActive == 0 && c.err == nil
	c.mu.Unlock()
	if idle {
		c.goAway()
	}
}

// goAwayPing is the PING payload a server sends after its GOAWAY.
const goAwayPing = "goaway\x00\x00"

// closeWhenPeerCaughtUp closes a server connection that sent GOAWAY and has
// no open stream once the peer has read the GOAWAY: a PING goes after it,
// and its ack comes back behind any stream the peer opened before (those
// are refused with REFUSED_STREAM, which a client retries elsewhere).
// Closing at once would drop such a request with the connection. A peer
// that does not answer is closed after a second. A client closes at once.
func (c *conn) closeWhenPeerCaughtUp() {
	c.mu.Lock()
	if c.client || c.err != nil || c.drainPing {
		pinged := c.drainPing
		c.mu.Unlock()
		if !pinged {
			c.closeGracefully()
		}
		return
	}
	c.drainPing = true
	c.mu.Unlock()
	if c.wq.control(&Frame{Type: FramePing, Data: []byte(goAwayPing)}) != nil {
		c.closeGracefully()
		return
	}
	time.AfterFunc(time.Second, c.closeGracefully)
}

// closeGracefully sends GOAWAY(NO_ERROR) and closes after the queue drains.
func (c *conn) closeGracefully() {
	c.fail(ErrClosed, ErrCodeNo)
}

// goAway starts a graceful shutdown: GOAWAY(NO_ERROR) with the last peer
// stream, no new streams, close when the open ones end.
func (c *conn) goAway() {
	c.mu.Lock()
	if c.closing || c.err != nil {
		c.mu.Unlock()
		return
	}
	c.closing = true
	last, empty := c.lastPeerID, c.nActive == 0
	c.mu.Unlock()
	c.wq.control(&Frame{Type: FrameGoAway, LastStreamID: last, Code: ErrCodeNo})
	if empty {
		c.closeWhenPeerCaughtUp()
	}
}

// fail ends the connection with err: every open stream fails, a GOAWAY with
// code is queued (unless the peer is gone), and the writer closes the
// carrier once the queue is written (or after a grace period).
func (c *conn) fail(err error, code ErrCode) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	streams := make([]*stream, 0, len(c.streams))
	for _, st := range c.streams {
		streams = append(streams, st)
	}
	last := c.lastPeerID
	if c.idleTimer != nil {
		c.idleTimer.Stop()
	}
	if c.creditCh != nil {
		close(c.creditCh)
		c.creditCh = nil
	}
	if c.slotCh != nil {
		close(c.slotCh)
		c.slotCh = nil
	}
	c.mu.Unlock()
	if c.pingTimer != nil {
		c.pingTimer.Stop()
	}
	if !errors.Is(err, ErrPeerGone) {
		reason := ""
		if code != ErrCodeNo {
			reason = err.Error()
			if len(reason) > 256 {
				reason = reason[:256]
			}
		}
		c.wq.control(&Frame{Type: FrameGoAway, LastStreamID: last, Code: code, Reason: reason})
	}
	close(c.done)
	c.wq.close()
	serr := err
	if !errors.Is(err, ErrPeerGone) {
		serr = peerGone(err)
	}
	for _, st := range streams {
		st.abort(serr, false, 0)
	}
	// Bound the final flush against a peer that does not read.
	time.AfterFunc(time.Second, func() { c.car.close(); c.cancel() })
}

// close ends the connection at once.
func (c *conn) close() {
	c.fail(ErrClosed, ErrCodeNo)
	c.cancel()
	c.car.close()
}

func (c *conn) errLocked() error {
	if c.goAwayErr != nil {
		return peerGone(c.goAwayErr)
	}
	return c.err
}

// checkAlive runs on the PING timer.
func (c *conn) checkAlive() {
	now := time.Now().UnixNano()
	last := c.lastRead.Load()
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	if c.pingSentAt != 0 {
		if last < c.pingSentAt {
			c.mu.Unlock()
			c.fail(peerGone(connError(ErrCodeTimeout, errors.New("httpipc: PING not answered"))), ErrCodeTimeout)
			c.car.close()
			return
		}
		c.pingSentAt = 0
	}
	idle := time.Duration(now - last)
	if idle < c.opts.ReadIdleTimeout {
		c.pingTimer.Reset(c.opts.ReadIdleTimeout - idle)
		c.mu.Unlock()
		return
	}
	c.pingSentAt = now
	rand.Read(c.pingData[:])
	ping := Frame{Type: FramePing, Data: c.pingData[:]}
	c.pingTimer.Reset(c.opts.PingTimeout)
	c.mu.Unlock()
	c.wq.control(&ping)
}

// creditDueLocked returns the connection credit to send back, if enough
// consumed bytes have accumulated.
func (c *conn) creditDueLocked() int64 {
	if c.runacked < int64(c.opts.InitialConnCredit)/4 || c.err != nil {
		return 0
	}
	inc := c.runacked
	c.runacked = 0
	c.rwin += inc
	return inc
}

func (c *conn) sendConnCredit(inc int64) error {
	if inc == 0 {
		return nil
	}
	if err := c.wq.control(&Frame{Type: FrameCredit, Increment: uint64(inc)}); err != nil {
		return connError(ErrCodeProtocol, err)
	}
	return nil
}

// returnConnCredit accounts n consumed or discarded bytes.
func (c *conn) returnConnCredit(n int64) {
	if n == 0 {
		return
	}
	c.mu.Lock()
	c.runacked += n
	inc := c.creditDueLocked()
	c.mu.Unlock()
	c.sendConnCredit(inc)
}

// openStream reserves a stream for a request (client side), waiting for a
// free slot unless failFast.
func (c *conn) openStream(ctx context.Context, failFast bool) (*stream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if c.err != nil || c.closing || c.nextID > bhttp.MaxVarint {
			return nil, errConnUnusable
		}
		if uint64(c.nActive) < c.peer.maxStreams {
			break
		}
		if failFast {
			return nil, ErrTooManyStreams
		}
		if c.slotCh == nil {
			c.slotCh = make(chan struct{})
		}
		ch := c.slotCh
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			c.mu.Lock()
			return nil, ctx.Err()
		}
		c.mu.Lock()
	}
	return c.newStreamLocked(0), nil
}

// assignID gives a client stream its id as its first frame is queued
// (q.mu held), so ids reach the wire in increasing order however the
// requests race.
func (c *conn) assignID(st *stream) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.aborted {
		return
	}
	if c.goAwayRecv || c.err != nil {
		// The server said it takes no new stream: this one never reaches
		// it, and the request can be retried elsewhere.
		st.refused = true
		return
	}
	id := c.nextID
	c.nextID += 2
	st.sid.Store(id)
	c.streams[id] = st
}

// errConnUnusable: the connection is closing; the Transport dials anew.
var errConnUnusable = errors.New("httpipc: connection closing")

func (c *conn) usable() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err == nil && !c.closing
}
