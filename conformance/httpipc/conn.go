package ipcsuite

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/httpipc/bhttp"
)

// What the suite announces in its own HELLO unless a case says otherwise:
// large credit, so the target never waits on the suite, and frames of the
// default size.
const (
	ourMaxFrame     = 16 << 10
	ourStreamCredit = 1 << 26
	ourConnCredit   = 1 << 28
)

// event is what the reader goroutine hands over: a frame or the error
// that ended the stream.
type event struct {
	f   frame
	err error
}

// conn is one connection to the target, seen frame by frame. Every frame
// is logged; frames the target sends are checked against the limits the
// suite announced (max_frame_size, credit) whatever the case is about.
type conn struct {
	t   *conformance.T
	rw  io.ReadWriteCloser
	in  chan event
	off chan struct{} // closed by close
	mu  sync.Mutex
	max uint64 // the max_frame_size we announced, guarded by mu

	pending []event // read ahead while waiting for credit
	closed  bool    // the target closed the connection (EOF seen)

	server    peer               // the target's HELLO, once seen
	helloSeen bool               // the target's HELLO has arrived
	streams   map[uint64]*stream // per stream state of what we received
	goAway    *frame             // the target's GOAWAY, once seen

	// Credit: what we may still send, and what the target may still send.
	sendConn   int64
	sendStream map[uint64]int64
	recvConn   int64
	recvInit   int64
	recvStream map[uint64]int64
}

// peer holds a HELLO's settings with the defaults of those left out
// (httpipc spec §3.2).
type peer struct {
	version                              uint64
	maxFrame, maxStreams, maxHeaderBytes uint64
	streamCredit, connCredit             uint64
	settings                             []setting
}

// stream is what arrived on one stream.
type stream struct {
	data  []byte
	end   bool
	reset *frame
	// afterEnd counts DATA frames that came after END_STREAM.
	afterEnd int
}

// dial opens a fresh connection to the target; the case ends with Error
// when that fails. The connection is closed when the returned func runs.
func dial(ctx context.Context, t *conformance.T) *conn {
	ep, err := parseTarget(t)
	if err != nil {
		t.Errorf("%v", err)
	}
	rw, err := open(ctx, ep)
	if err != nil {
		t.Errorf("cannot reach the target: %v", err)
	}
	c := &conn{t: t, rw: rw, in: make(chan event, 64), off: make(chan struct{}),
		max: ourMaxFrame, streams: map[uint64]*stream{},
		sendStream: map[uint64]int64{}, recvStream: map[uint64]int64{},
		recvConn: ourConnCredit, recvInit: ourStreamCredit}
	go c.readLoop()
	return c
}

func (c *conn) close() {
	select {
	case <-c.off:
	default:
		close(c.off)
	}
	c.rw.Close()
}

func (c *conn) readLoop() {
	br := bufio.NewReaderSize(c.rw, 64<<10)
	for {
		c.mu.Lock()
		max := c.max
		c.mu.Unlock()
		f, err := readFrame(br, max)
		select {
		case c.in <- event{f, err}:
		case <-c.off:
			return
		}
		if err != nil {
			return
		}
	}
}

// setMaxFrame sets the max_frame_size the reader enforces.
func (c *conn) setMaxFrame(n uint64) {
	c.mu.Lock()
	c.max = n
	c.mu.Unlock()
}

// write sends raw bytes, described by desc in the wire log. A target that
// closed the connection fails the case with expect as the expectation.
func (c *conn) write(b []byte, desc string) {
	c.t.Sent("%s", desc)
	if _, err := c.rw.Write(b); err != nil {
		c.t.Notef("write: %v", err)
		c.t.Failf("the target keeps the connection open", "writing failed: %v", err)
	}
}

// send encodes and sends frames.
func (c *conn) send(fs ...frame) {
	var b []byte
	for i := range fs {
		b = append(b, fs[i].encode()...)
		if len(fs) > 1 {
			c.t.Sent("%s", fs[i].String())
		}
	}
	if len(fs) == 1 {
		c.write(b, fs[0].String())
		return
	}
	if _, err := c.rw.Write(b); err != nil {
		c.t.Failf("the target keeps the connection open", "writing failed: %v", err)
	}
}

// hello builds a HELLO frame.
func hello(version uint64, settings ...setting) frame {
	p := bhttp.AppendVarint(nil, version)
	for _, s := range settings {
		p = bhttp.AppendVarint(bhttp.AppendVarint(p, s.id), s.value)
	}
	return frame{typ: tHello, payload: p}
}

// ourSettings are the settings of the suite's default HELLO.
func ourSettings() []setting {
	return []setting{{sMaxFrameSize, ourMaxFrame}, {sMaxStreams, 0}, {sMaxHeaderBytes, 64 << 10},
		{sStreamCredit, ourStreamCredit}, {sConnCredit, ourConnCredit}}
}

// handshake sends the suite's HELLO (settings replace the defaults by id)
// and waits for the target's; the target's first frame must be a valid
// HELLO.
func (c *conn) handshake(ctx context.Context, override ...setting) peer {
	ss := ourSettings()
	for _, o := range override {
		for i := range ss {
			if ss[i].id == o.id {
				ss[i].value = o.value
			}
		}
	}
	for _, s := range ss {
		switch s.id {
		case sMaxFrameSize:
			c.setMaxFrame(s.value)
		case sStreamCredit:
			c.recvInit = int64(s.value)
		case sConnCredit:
			c.recvConn = int64(s.value)
		}
	}
	c.send(hello(1, ss...))
	return c.awaitHello(ctx)
}

// awaitHello reads the target's first frame, which must be its HELLO.
func (c *conn) awaitHello(ctx context.Context) peer {
	if c.helloSeen {
		return c.server
	}
	f := c.next(ctx, "a HELLO frame from the target")
	if f.typ != tHello {
		c.t.Failf("the target's first frame is HELLO", "first frame is %s", f.String())
	}
	return c.server
}

// parseHello fills c.server from the target's HELLO; a malformed HELLO
// fails the case.
func (c *conn) parseHello(f *frame) {
	if f.sid != 0 {
		c.t.Failf("HELLO on stream 0", "%s", f.String())
	}
	v, ss, err := f.hello()
	if err != nil {
		c.t.Failf("a well-formed HELLO payload (version, then id/value pairs)", "%s: %v", f.String(), err)
	}
	p := peer{version: v, maxFrame: 16 << 10, maxStreams: 100, maxHeaderBytes: 64 << 10,
		streamCredit: 256 << 10, connCredit: 1 << 20, settings: ss}
	seen := map[uint64]bool{}
	for _, s := range ss {
		if seen[s.id] {
			c.t.Failf("each setting at most once in HELLO", "%s repeats setting %d", f.String(), s.id)
		}
		seen[s.id] = true
		switch s.id {
		case sMaxFrameSize:
			p.maxFrame = s.value
		case sMaxStreams:
			p.maxStreams = s.value
		case sMaxHeaderBytes:
			p.maxHeaderBytes = s.value
		case sStreamCredit:
			p.streamCredit = s.value
		case sConnCredit:
			p.connCredit = s.value
		}
	}
	if p.maxFrame < minFrameSize {
		c.t.Failf("max_frame_size of at least 1024", "%s", f.String())
	}
	c.server, c.helloSeen = p, true
	c.sendConn = int64(min(p.connCredit, bhttp.MaxVarint))
}

// nextEvent returns the next frame or the error that ended the stream
// (io.EOF: the target closed it), without judging it.
func (c *conn) nextEvent(ctx context.Context) (frame, error) {
	if len(c.pending) > 0 {
		var ev event
		ev, c.pending = c.pending[0], c.pending[1:]
		return ev.f, ev.err
	}
	return c.fromWire(ctx)
}

// fromWire takes the next event from the reader goroutine and observes it.
func (c *conn) fromWire(ctx context.Context) (frame, error) {
	if c.closed {
		return frame{}, io.EOF
	}
	var ev event
	select {
	case ev = <-c.in:
	case <-ctx.Done():
		return frame{}, ctx.Err()
	}
	if ev.err == nil {
		c.t.Received("%s", ev.f.String())
		c.observe(&ev.f)
		return ev.f, nil
	}
	if ev.err == io.EOF {
		c.closed = true
		c.t.Notef("the target closed the connection")
	} else {
		c.t.Notef("read: %v", ev.err)
	}
	var tl *errFrameTooLong
	if errors.As(ev.err, &tl) {
		c.t.Failf("frames no longer than the max_frame_size the suite announced ("+strconv.FormatUint(c.max, 10)+")",
			"%v", tl)
	}
	return ev.f, ev.err
}

// next returns the next frame; a closed connection or the case timeout
// fails the case (want says what was being waited for).
func (c *conn) next(ctx context.Context, want string) frame {
	f, err := c.nextEvent(ctx)
	switch {
	case err == nil:
		return f
	case ctx.Err() != nil:
		c.t.Failf(want, "nothing before the case timeout")
	case err == io.EOF:
		c.t.Failf(want, "the target closed the connection")
	}
	c.t.Failf(want, "reading failed: %v", err)
	return frame{}
}

// observe applies the rules every frame of the target must follow and
// keeps per-stream state. It runs once per frame, as it arrives.
func (c *conn) observe(f *frame) {
	t := c.t
	if !c.helloSeen {
		if f.typ == tGoAway && c.goAway == nil { // refused before its HELLO
			c.goAway = f
			return
		}
		if f.typ != tHello {
			t.Failf("the target's first frame is HELLO", "first frame is %s", f.String())
		}
		c.parseHello(f)
		return
	}
	switch f.typ {
	case tHello:
		t.Failf("one HELLO per connection", "a second HELLO: %s", f.String())
	case tData:
		if f.sid == 0 || f.sid%2 == 0 {
			t.Failf("DATA only on client-initiated (odd) streams", "%s", f.String())
		}
		n := int64(len(f.payload))
		st := c.stream(f.sid)
		if st.end {
			st.afterEnd++
		}
		w, ok := c.recvStream[f.sid]
		if !ok {
			w = c.recvInit
		}
		if n > w || n > c.recvConn {
			t.Failf("DATA within the credit the suite granted (httpipc spec §3.4)",
				"%d bytes on stream %d with %d stream and %d connection credit left", n, f.sid, w, c.recvConn)
		}
		c.recvStream[f.sid], c.recvConn = w-n, c.recvConn-n
		st.data = append(st.data, f.payload...)
		if f.flags&flagEnd != 0 {
			st.end = true
		}
	case tReset:
		if f.sid == 0 {
			t.Failf("RESET on a stream, not stream 0", "%s", f.String())
		}
		if _, _, err := f.reset(); err != nil {
			t.Failf("a well-formed RESET payload", "%s", f.String())
		}
		st := c.stream(f.sid)
		if st.reset == nil {
			st.reset = f
		}
	case tGoAway:
		if _, _, _, err := f.goAway(); err != nil || f.sid != 0 {
			t.Failf("a well-formed GOAWAY on stream 0", "%s", f.String())
		}
		if c.goAway == nil {
			c.goAway = f
		}
	case tCredit:
		inc, err := f.credit()
		if err != nil {
			t.Failf("a well-formed CREDIT payload", "%s", f.String())
		}
		if f.sid == 0 {
			c.sendConn += int64(min(inc, bhttp.MaxVarint/4))
		} else {
			w, ok := c.sendStream[f.sid]
			if !ok {
				w = int64(min(c.server.streamCredit, bhttp.MaxVarint/4))
			}
			c.sendStream[f.sid] = w + int64(min(inc, bhttp.MaxVarint/4))
		}
	case tPing:
		if len(f.payload) != 8 || f.sid != 0 {
			t.Failf("PING with 8 bytes on stream 0", "%s", f.String())
		}
		if f.flags&flagAck == 0 { // the target's liveness check: answer it
			ack := frame{typ: tPing, flags: flagAck, payload: f.payload}
			c.send(ack)
		}
	}
}

func (c *conn) stream(sid uint64) *stream {
	st := c.streams[sid]
	if st == nil {
		st = &stream{}
		c.streams[sid] = st
	}
	return st
}

// ---------------------------------------------------------------------------
// Sending messages

// sendData sends msg on stream sid as DATA frames of at most size bytes
// (0: the target's max_frame_size), within the target's credit, waiting
// for CREDIT when it runs out. END_STREAM goes on the last frame if end.
// It reports false if the target reset the stream meanwhile (the rest is
// not sent).
func (c *conn) sendData(ctx context.Context, sid uint64, msg []byte, end bool, size int) bool {
	if size <= 0 || uint64(size) > c.server.maxFrame {
		size = int(min(c.server.maxFrame, 1<<20))
	}
	var batch []byte
	frames := 0
	flush := func() {
		if len(batch) > 0 {
			if frames > 1 {
				c.t.Sent("(%d DATA frames on stream %d, %d bytes)", frames, sid, len(batch))
			}
			if _, err := c.rw.Write(batch); err != nil {
				c.t.Failf("the target keeps the connection open", "writing failed: %v", err)
			}
			batch, frames = batch[:0], 0
		}
	}
	for first := true; first || len(msg) > 0; first = false {
		n := min(len(msg), size)
		for n > 0 && c.credit(sid) == 0 {
			flush()
			if !c.waitCredit(ctx, sid) {
				return false
			}
		}
		n = min(n, int(c.credit(sid)))
		f := frame{typ: tData, sid: sid, payload: msg[:n]}
		if end && n == len(msg) {
			f.flags = flagEnd
		}
		c.useCredit(sid, int64(n))
		msg = msg[n:]
		if frames == 0 && len(msg) == 0 && len(batch) == 0 {
			c.write(f.encode(), f.String())
			return true
		}
		if frames == 0 {
			c.t.Sent("%s", f.String())
		}
		batch = append(batch, f.encode()...)
		frames++
		if len(batch) >= 256<<10 {
			flush()
		}
	}
	flush()
	return true
}

func (c *conn) credit(sid uint64) int64 {
	w, ok := c.sendStream[sid]
	if !ok {
		w = int64(min(c.server.streamCredit, bhttp.MaxVarint/4))
	}
	return min(w, c.sendConn)
}

func (c *conn) useCredit(sid uint64, n int64) {
	w, ok := c.sendStream[sid]
	if !ok {
		w = int64(min(c.server.streamCredit, bhttp.MaxVarint/4))
	}
	c.sendStream[sid], c.sendConn = w-n, c.sendConn-n
}

// waitCredit reads frames (keeping them for later) until the target grants
// credit for sid; false if it resets the stream instead.
func (c *conn) waitCredit(ctx context.Context, sid uint64) bool {
	for c.credit(sid) == 0 {
		if st := c.streams[sid]; st != nil && (st.reset != nil || st.end) {
			return false
		}
		if c.goAway != nil {
			return false
		}
		f, err := c.fromWire(ctx)
		c.pending = append(c.pending, event{f, err})
		if err != nil {
			return false
		}
	}
	return true
}

// request sends a whole bhttp message on stream sid in one DATA frame with
// END_STREAM when it fits, else in frames of the target's size.
func (c *conn) request(ctx context.Context, sid uint64, msg []byte) {
	c.sendData(ctx, sid, msg, true, 0)
}

// get builds a known-length bhttp request for method and path with the
// given header fields and body.
func get(method, path string, body []byte, fields ...bhttp.Field) []byte {
	r := &bhttp.Request{Method: method, Scheme: "http", Authority: "ipc.localhost", Path: path, Header: fields, Body: body}
	b, err := bhttp.AppendRequest(nil, r)
	if err != nil {
		panic("ipcsuite: bad request built by a case: " + err.Error())
	}
	return b
}

// ---------------------------------------------------------------------------
// Awaiting results

// await reads until stream sid is done (END_STREAM or RESET) and returns
// it. Frames of other streams are kept in their state.
func (c *conn) await(ctx context.Context, sid uint64, want string) *stream {
	for {
		if st := c.streams[sid]; st != nil && (st.end || st.reset != nil) {
			return st
		}
		c.next(ctx, want)
	}
}

// response waits for a complete response on sid and decodes it; a RESET
// or an invalid message fails the case.
func (c *conn) response(ctx context.Context, sid uint64) *bhttp.Response {
	want := "a response on stream " + strconv.FormatUint(sid, 10)
	st := c.await(ctx, sid, want)
	if !st.end {
		c.t.Failf(want, "%s", st.reset.String())
	}
	resp, err := bhttp.DecodeResponse(st.data, bhttp.Limits{MaxBodySize: 256 << 20})
	if err != nil {
		c.t.Failf(want+" that is a valid RFC 9292 response", "%v (%d bytes: %s)", err, len(st.data), preview(st.data))
	}
	return resp
}

// okResponse is response that also requires a status, and skips the case
// when the route is missing (404).
func (c *conn) okResponse(ctx context.Context, sid uint64, status int, route string) *bhttp.Response {
	resp := c.response(ctx, sid)
	if resp.Status == 404 && status != 404 {
		c.t.Skipf("the target has no %s route (404): serve ipcsuite.Handler() to run this case", route)
	}
	if resp.Status != status {
		c.t.Failf(fmt.Sprintf("status %d from %s", status, route), "status %d, body %.200q", resp.Status, resp.Body)
	}
	return resp
}

// skipIf404 skips the case when stream sid ended with a 404: the target
// lacks the route.
func (c *conn) skipIf404(sid uint64, route string) {
	if st := c.streams[sid]; st != nil && st.end {
		if r, err := bhttp.DecodeResponse(st.data, bhttp.Limits{MaxBodySize: 256 << 20}); err == nil && r.Status == 404 {
			c.t.Skipf("the target has no %s route (404): serve ipcsuite.Handler() to run this case", route)
		}
	}
}

// needRoute skips the case when the target has no route for path
// (404), asked on a connection of its own so that the case's stream
// numbering is untouched. Any other answer lets the case go on: judging
// it is the case's business.
func needRoute(ctx context.Context, t *conformance.T, path string) {
	c := dial(ctx, t)
	defer c.close()
	c.handshake(ctx)
	c.request(ctx, 1, get("GET", path, nil))
	if st, err := c.awaitEvent(ctx, 1); err == nil && st.end {
		c.skipIf404(1, strings.SplitN(path, "?", 2)[0])
	}
}

// awaitEvent is await that returns the read error instead of failing.
func (c *conn) awaitEvent(ctx context.Context, sid uint64) (*stream, error) {
	for {
		if st := c.streams[sid]; st != nil && (st.end || st.reset != nil) {
			return st, nil
		}
		if _, err := c.nextEvent(ctx); err != nil {
			return nil, err
		}
	}
}

// echoOK sends a small /echo request on sid and checks the echo: the
// connection still serves requests.
func (c *conn) echoOK(ctx context.Context, sid uint64, why string) {
	body := []byte("still here " + strconv.FormatUint(sid, 10))
	c.request(ctx, sid, get("POST", "/echo", body))
	resp := c.response(ctx, sid)
	if resp.Status == 404 {
		c.t.Skipf("the target has no /echo route (404): serve ipcsuite.Handler() to run this case")
	}
	if resp.Status != 200 || !bytes.Equal(resp.Body, body) {
		c.t.Failf(why+": /echo on stream "+strconv.FormatUint(sid, 10)+" answers 200 with the body",
			"status %d body %.100q", resp.Status, resp.Body)
	}
}

// expectReset waits for stream sid to be reset with one of codes (none:
// any code); a response fails the case.
func (c *conn) expectReset(ctx context.Context, sid uint64, codes ...uint64) uint64 {
	var names []string
	for _, code := range codes {
		names = append(names, codeName(code))
	}
	want := fmt.Sprintf("RESET(%s) on stream %d", joinOr(names), sid)
	st := c.await(ctx, sid, want)
	if st.reset == nil {
		resp, err := bhttp.DecodeResponse(st.data, bhttp.Limits{})
		if err != nil {
			c.t.Failf(want, "an invalid response (%v)", err)
		}
		c.t.Failf(want, "a response with status %d, body %.100q", resp.Status, resp.Body)
	}
	code, _, _ := st.reset.reset()
	if len(codes) > 0 && !contains(codes, code) {
		c.t.Failf(want, "%s", st.reset.String())
	}
	return code
}

// expectGoAway reads until a GOAWAY arrives and checks its code; a close
// without one fails the case. Responses that arrive meanwhile are kept in
// the streams' state.
func (c *conn) expectGoAway(ctx context.Context, codes ...uint64) (last uint64) {
	var names []string
	for _, code := range codes {
		names = append(names, codeName(code))
	}
	want := "GOAWAY(" + joinOr(names) + ")"
	for c.goAway == nil {
		f, err := c.nextEvent(ctx)
		switch {
		case err == io.EOF:
			c.t.Failf(want+" before the connection closes", "the connection closed without GOAWAY")
		case err != nil && ctx.Err() != nil:
			c.t.Failf(want, "no GOAWAY before the case timeout")
		case err != nil:
			c.t.Failf(want, "reading failed: %v", err)
		}
		_ = f
	}
	last, code, _, _ := c.goAway.goAway()
	if len(codes) > 0 && !contains(codes, code) {
		c.t.Failf(want, "%s", c.goAway.String())
	}
	return last
}

func (c *conn) noResponses() {
	for sid, st := range c.streams {
		if st.end {
			c.t.Failf("no request processed after the connection error", "a complete response on stream %d", sid)
		}
	}
}

// expectClose reads until the target closes the connection. A stream that
// gets a response meanwhile fails the case: after a connection error
// nothing more is processed.
func (c *conn) expectClose(ctx context.Context) {
	for {
		_, err := c.nextEvent(ctx)
		if err == io.EOF {
			return
		}
		if err != nil && ctx.Err() != nil {
			c.t.Failf("the target closes the connection after GOAWAY", "still open at the case timeout")
		}
		if err != nil {
			return // a reset or a broken read also ends it
		}
		c.noResponses()
	}
}

// ping sends a PING and reads until its ACK: every frame the target sent
// before it has been observed. It is the suite's barrier.
func (c *conn) ping(ctx context.Context, data string) {
	f := frame{typ: tPing, payload: []byte(data)[:8]}
	c.send(f)
	for {
		g := c.next(ctx, "PING ACK "+fmt.Sprintf("%x", f.payload))
		if g.typ == tPing && g.flags&flagAck != 0 && bytes.Equal(g.payload, f.payload) {
			return
		}
		if g.typ == tPing && (g.flags&flagAck != 0 || bytes.Equal(g.payload, f.payload)) {
			c.t.Failf(fmt.Sprintf("PING ACK %x", f.payload), "%s", g.String())
		}
	}
}

func contains(list []uint64, v uint64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func joinOr(names []string) string {
	switch len(names) {
	case 0:
		return "any code"
	case 1:
		return names[0]
	}
	s := names[0]
	for _, n := range names[1 : len(names)-1] {
		s += ", " + n
	}
	return s + " or " + names[len(names)-1]
}

// field is a bhttp field line.
func field(name, value string) bhttp.Field { return bhttp.Field{Name: name, Value: value} }
