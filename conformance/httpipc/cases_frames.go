package ipcsuite

import (
	"bytes"
	"context"
	"strconv"
	"time"

	"github.com/appwire/appwire/conformance"
)

// Cases of the frame layer (httpipc spec §3.2): HELLO and settings,
// framing and stream ids, RESET and GOAWAY, PING.

// connError opens a connection, shakes hands, sends what bad sends, and
// expects GOAWAY with code, then the close, with no request processed.
func connError(ctx context.Context, t *conformance.T, code uint64, bad func(c *conn)) {
	c := dial(ctx, t)
	defer c.close()
	c.handshake(ctx)
	bad(c)
	c.expectGoAway(ctx, code)
	c.expectClose(ctx)
}

// handshakeError sends first (instead of the suite's HELLO) and expects
// the close, after GOAWAY(PROTOCOL) if any GOAWAY; the request sent with
// it on stream 1 must not be answered.
//
// The GOAWAY is not required: httpipc.Server closes right after queuing
// it (see the package's report), and a peer that has not agreed on a
// version cannot be expected to parse one.
func handshakeError(ctx context.Context, t *conformance.T, first ...frame) {
	c := dial(ctx, t)
	defer c.close()
	req := frame{typ: tData, sid: 1, flags: flagEnd, payload: get("GET", "/echo", nil)}
	c.send(append(first, req)...)
	c.expectGoAway(ctx, codeProtocol)
	c.noResponses()
	c.expectClose(ctx)
}

func helloCases() []conformance.Case {
	return []conformance.Case{
		{
			ID:          "httpipc/3.2.1/1",
			Title:       "Send HELLO; the target's first frame is HELLO(version 1) on stream 0 with well-formed settings, and it serves a request",
			Level:       must,
			Requirement: "HELLO {Version (i), Settings …} is exchanged first by both sides; max_frame_size is at least 1024 and no setting repeats.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				p := c.handshake(ctx)
				if p.version != 1 {
					t.Failf("HELLO version 1", "version %d", p.version)
				}
				c.echoOK(ctx, 1, "after the handshake")
			},
		},
		{
			ID:          "httpipc/3.2.1/2",
			Title:       "Stay silent after connecting; the target sends its HELLO without waiting for the suite's",
			Level:       should,
			Requirement: "Both sides send HELLO first; a server that waits for the client's HELLO costs every connection a round trip.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				wctx, cancel := context.WithTimeout(ctx, time.Second)
				defer cancel()
				if _, err := c.nextEvent(wctx); err != nil {
					if wctx.Err() != nil && ctx.Err() == nil {
						t.Failf("the target's HELLO before the suite's", "nothing within 1s while the suite stayed silent")
					}
					t.Failf("the target's HELLO before the suite's", "%v", err)
				}
				if !c.helloSeen {
					t.Failf("the target's HELLO before the suite's", "no HELLO")
				}
			},
		},
		{
			ID:          "httpipc/3.2.1/3",
			Title:       "Send HELLO with version 2 and a request; the target closes (after GOAWAY(PROTOCOL) if any) and serves nothing",
			Level:       must,
			Requirement: "A HELLO with an unsupported version is a connection error PROTOCOL (httpipc spec §3.6: a framing error kills the connection).",
			Run: func(ctx context.Context, t *conformance.T) {
				handshakeError(ctx, t, hello(2, ourSettings()...))
			},
		},
		{
			ID:          "httpipc/3.2.1/4",
			Title:       "Send a DATA request before any HELLO; the target closes (after GOAWAY(PROTOCOL) if any) and serves nothing",
			Level:       must,
			Requirement: "HELLO is the first frame of each side; any other first frame is a connection error PROTOCOL.",
			Run: func(ctx context.Context, t *conformance.T) {
				handshakeError(ctx, t)
			},
		},
		{
			ID:          "httpipc/3.2.1/5",
			Title:       "Send a second HELLO after the handshake; the target answers GOAWAY(PROTOCOL) and closes",
			Level:       must,
			Requirement: "HELLO is sent once per connection; a repeated HELLO is a connection error PROTOCOL.",
			Run: func(ctx context.Context, t *conformance.T) {
				connError(ctx, t, codeProtocol, func(c *conn) {
					c.send(hello(1, ourSettings()...), frame{typ: tData, sid: 1, flags: flagEnd, payload: get("GET", "/echo", nil)})
				})
			},
		},
		{
			ID:          "httpipc/3.2.1/6",
			Title:       "Send HELLO with max_frame_size 512; the target closes (after GOAWAY(PROTOCOL) if any) and serves nothing",
			Level:       must,
			Requirement: "max_frame_size is at least 1024 (MinFrameSize); a smaller value is an invalid setting, a connection error PROTOCOL.",
			Run: func(ctx context.Context, t *conformance.T) {
				ss := ourSettings()
				ss[0].value = 512
				handshakeError(ctx, t, hello(1, ss...))
			},
		},
		{
			ID:          "httpipc/3.2.1/7",
			Title:       "Send HELLO with an unknown setting 0x3f21; the target ignores it and serves a request",
			Level:       must,
			Requirement: "Unknown settings are ignored, so later versions can add settings.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.send(hello(1, append(ourSettings(), setting{0x3f21, 7})...))
				c.awaitHello(ctx)
				c.echoOK(ctx, 1, "after a HELLO with an unknown setting")
			},
		},
		{
			ID:          "httpipc/3.2.1/8",
			Title:       "Send HELLO naming max_frame_size twice; the target closes (after GOAWAY(PROTOCOL) if any) and serves nothing",
			Level:       must,
			Requirement: "Each setting appears at most once in a HELLO; a duplicate is a malformed HELLO, a connection error PROTOCOL.",
			Run: func(ctx context.Context, t *conformance.T) {
				handshakeError(ctx, t, hello(1, append(ourSettings(), setting{sMaxFrameSize, 2048})...))
			},
		},
	}
}

func framingCases() []conformance.Case {
	return []conformance.Case{
		{
			ID:          "httpipc/3.2.2/1",
			Title:       "Send POST /echo as one DATA frame with END_STREAM; one bhttp response comes back on stream 1, ending with END_STREAM",
			Level:       must,
			Requirement: "DATA carries the bytes of one bhttp message; END_STREAM marks its end. The response is a valid RFC 9292 response on the request's stream.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				body := []byte("hello, ipc")
				c.request(ctx, 1, get("POST", "/echo?q=1", body, field("x-echo-a", "b")))
				resp := c.okResponse(ctx, 1, 200, "/echo")
				if fi := c.streams[1].data[0]; fi != 1 && fi != 3 {
					t.Failf("framing indicator 1 or 3 (a response)", "first byte 0x%02x", fi)
				}
				if !bytes.Equal(resp.Body, body) || resp.Header.Get("x-echo-method") != "POST" ||
					resp.Header.Get("x-echo-path") != "/echo?q=1" || resp.Header.Get("x-echo-a") != "b" {
					t.Failf("the echo of POST /echo?q=1 with x-echo-a: b and body "+strconv.Quote(string(body)),
						"header %v body %.100q", resp.Header, resp.Body)
				}
			},
		},
		{
			ID:          "httpipc/3.2.2/2",
			Title:       "Send a request split into 1-byte DATA frames and an empty DATA frame with END_STREAM; the target answers it whole",
			Level:       must,
			Requirement: "DATA carries consecutive bytes of one bhttp message, in any number of frames; only END_STREAM marks the end.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				body := []byte("split into many frames")
				c.sendData(ctx, 1, get("PUT", "/echo", body, field("x-echo-split", "yes")), false, 1)
				c.send(frame{typ: tData, sid: 1, flags: flagEnd})
				resp := c.okResponse(ctx, 1, 200, "/echo")
				if !bytes.Equal(resp.Body, body) || resp.Header.Get("x-echo-split") != "yes" {
					t.Failf("the echo of the whole request", "header %v body %.100q", resp.Header, resp.Body)
				}
			},
		},
		{
			ID:          "httpipc/3.2.2/3",
			Title:       "Send frames of unknown types on stream 0 and in the middle of a request; the target ignores them",
			Level:       must,
			Requirement: "Frames of unknown types are ignored by receivers, so later versions can add types.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				body := []byte("around unknown frames")
				msg := get("POST", "/echo", body)
				c.send(frame{typ: 0x21, payload: []byte("future")})
				c.sendData(ctx, 1, msg[:5], false, 0)
				c.send(frame{typ: 0x3fff, sid: 1, flags: 0xff, payload: []byte("x")})
				c.sendData(ctx, 1, msg[5:], true, 0)
				resp := c.okResponse(ctx, 1, 200, "/echo")
				if !bytes.Equal(resp.Body, body) {
					t.Failf("the echo of the request", "body %.100q", resp.Body)
				}
				c.ping(ctx, "unknown!")
			},
		},
		{
			ID:          "httpipc/3.2.2/4",
			Title:       "Send a DATA frame one byte longer than the target's max_frame_size; the target answers GOAWAY(FRAME_SIZE) and serves nothing",
			Level:       must,
			Requirement: "A frame payload above the receiver's max_frame_size is a connection error FRAME_SIZE (httpipc spec §3.5).",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				p := c.handshake(ctx)
				if p.maxFrame >= 1<<20 {
					t.Skipf("the target's max_frame_size %d is too large to exceed here", p.maxFrame)
				}
				msg := get("POST", "/echo", []byte("too big"))
				msg = append(msg, make([]byte, int(p.maxFrame)+1-len(msg))...) // zero padding
				c.send(frame{typ: tData, sid: 1, flags: flagEnd, payload: msg})
				c.expectGoAway(ctx, codeFrameSize)
				c.expectClose(ctx)
			},
		},
		{
			ID:          "httpipc/3.2.2/5",
			Title:       "Send a request on even stream 2; the target answers GOAWAY(PROTOCOL) and serves nothing",
			Level:       must,
			Requirement: "Client-initiated streams are odd; DATA on an even stream the client cannot open is a connection error PROTOCOL.",
			Run: func(ctx context.Context, t *conformance.T) {
				connError(ctx, t, codeProtocol, func(c *conn) {
					c.send(frame{typ: tData, sid: 2, flags: flagEnd, payload: get("GET", "/echo", nil)})
				})
			},
		},
		{
			ID:          "httpipc/3.2.2/6",
			Title:       "Send a request on stream 0; the target answers GOAWAY(PROTOCOL) and serves nothing",
			Level:       must,
			Requirement: "Stream 0 is for connection-level frames; DATA on stream 0 is a connection error PROTOCOL.",
			Run: func(ctx context.Context, t *conformance.T) {
				connError(ctx, t, codeProtocol, func(c *conn) {
					c.send(frame{typ: tData, sid: 0, flags: flagEnd, payload: get("GET", "/echo", nil)})
				})
			},
		},
		{
			ID:          "httpipc/3.2.2/7",
			Title:       "After stream 1 is answered, send another request on stream 1; the target ignores it and still serves stream 3",
			Level:       must,
			Requirement: "A stream ends with END_STREAM both ways; frames on a closed stream are discarded (their credit returned), a closed id is never reused for a new request.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				c.echoOK(ctx, 1, "first request")
				before := len(c.streams[1].data)
				c.request(ctx, 1, get("POST", "/echo", []byte("again")))
				c.ping(ctx, "closed-1")
				if st := c.streams[1]; st.afterEnd > 0 || len(st.data) != before {
					t.Failf("nothing more on closed stream 1", "%d more bytes on stream 1", len(st.data)-before)
				}
				if c.goAway != nil {
					t.Failf("the connection goes on", "%s", c.goAway.String())
				}
				c.echoOK(ctx, 3, "after DATA on a closed stream")
			},
		},
		{
			ID:          "httpipc/3.2.2/8",
			Title:       "Send more DATA on stream 1 after its END_STREAM while the response is pending; the target answers GOAWAY(PROTOCOL)",
			Level:       must,
			Requirement: "DATA after END_STREAM on a stream still open is a connection error (flow control violated, code PROTOCOL).",
			Run: func(ctx context.Context, t *conformance.T) {
				needRoute(ctx, t, "/slow?ms=0")
				connError(ctx, t, codeProtocol, func(c *conn) {
					c.request(ctx, 1, get("GET", "/slow?ms=10000", nil))
					c.send(frame{typ: tData, sid: 1, payload: []byte("more")})
				})
			},
		},
		{
			ID:          "httpipc/3.2.2/9",
			Title:       "Send RESET on stream 99, never opened; the target answers GOAWAY(PROTOCOL)",
			Level:       must,
			Requirement: "A frame on a stream id that was never opened (idle) is a connection error PROTOCOL.",
			Run: func(ctx context.Context, t *conformance.T) {
				connError(ctx, t, codeProtocol, func(c *conn) {
					c.send(frame{typ: tReset, sid: 99, payload: []byte{codeCancel, 0}})
				})
			},
		},
		{
			ID:          "httpipc/3.2.2/10",
			Title:       "Announce max_frame_size 1024 and request 20000 bytes; every DATA frame of the target is at most 1024 bytes",
			Level:       must,
			Requirement: "A sender never sends a frame longer than the max_frame_size its peer announced.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx, setting{sMaxFrameSize, 1024})
				c.request(ctx, 1, get("GET", "/bytes/20000", nil))
				resp := c.okResponse(ctx, 1, 200, "/bytes/N")
				if !bytes.Equal(resp.Body, pattern(20000)) {
					t.Failf("20000 bytes of the /bytes pattern", "%d bytes", len(resp.Body))
				}
			},
		},
	}
}

func resetCases() []conformance.Case {
	return []conformance.Case{
		{
			ID:          "httpipc/3.2.3/1",
			Title:       "Fill every stream slot, RESET(CANCEL) one mid-response; a new stream is served, not refused",
			Level:       must,
			Requirement: "On cancel, the client sends RESET(CANCEL); the stream is freed immediately (httpipc spec §3.6: no queue wedge).",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				p := c.handshake(ctx, setting{sStreamCredit, 1024})
				m := fillSlots(ctx, t, c, p)
				// The last slot is a response blocked on credit: cancel it
				// once it has started.
				last := uint64(2*m - 1)
				c.request(ctx, last, get("GET", "/bytes/100000", nil))
				for st := c.streams[last]; st == nil || len(st.data) == 0; st = c.streams[last] {
					c.next(ctx, "the start of the /bytes response on stream "+strconv.FormatUint(last, 10))
				}
				c.send(frame{typ: tReset, sid: last, payload: []byte{codeCancel, 0}})
				c.echoOK(ctx, last+2, "a slot freed by RESET(CANCEL)")
			},
		},
		{
			ID:          "httpipc/3.2.3/2",
			Title:       "Complete streams 1 and 3, then send DATA on stream 0; the GOAWAY says PROTOCOL with last stream id 3",
			Level:       must,
			Requirement: "GOAWAY {Last Stream ID, Error Code}: the last id is the highest peer stream that was or may still be processed.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				c.echoOK(ctx, 1, "stream 1")
				c.echoOK(ctx, 3, "stream 3")
				c.send(frame{typ: tData, sid: 0, flags: flagEnd, payload: []byte("bad")})
				if last := c.expectGoAway(ctx, codeProtocol); last != 3 {
					t.Failf("GOAWAY last stream id 3", "%s", c.goAway.String())
				}
				c.expectClose(ctx)
			},
		},
		{
			ID:          "httpipc/3.2.3/3",
			Title:       "Send GOAWAY(NO_ERROR) while a request is half sent, then finish it; it is answered, then the target sends GOAWAY(NO_ERROR) and closes",
			Level:       must,
			Requirement: "GOAWAY gives graceful shutdown: streams already open complete; then the connection ends with GOAWAY(NO_ERROR).",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				body := []byte("finish me")
				msg := get("POST", "/echo", body)
				c.sendData(ctx, 1, msg[:6], false, 0)
				c.ping(ctx, "opened-1")
				c.send(frame{typ: tGoAway, payload: []byte{0, codeNo, 0}})
				c.sendData(ctx, 1, msg[6:], true, 0)
				resp := c.okResponse(ctx, 1, 200, "/echo")
				if !bytes.Equal(resp.Body, body) {
					t.Failf("the echo of stream 1", "body %.100q", resp.Body)
				}
				if last := c.expectGoAway(ctx, codeNo); last < 1 {
					t.Failf("GOAWAY last stream id >= 1 (stream 1 was processed)", "%s", c.goAway.String())
				}
				c.expectClose(ctx)
			},
		},
		{
			ID:          "httpipc/3.2.3/4",
			Title:       "After sending GOAWAY, open stream 3; the target refuses it with RESET(REFUSED_STREAM) and still answers stream 1",
			Level:       should,
			Requirement: "After GOAWAY no new streams are processed; REFUSED_STREAM tells the sender the stream was not processed and is safe to retry.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				msg := get("POST", "/echo", []byte("one"))
				c.sendData(ctx, 1, msg[:6], false, 0)
				c.ping(ctx, "opened-1")
				c.send(frame{typ: tGoAway, payload: []byte{0, codeNo, 0}})
				c.request(ctx, 3, get("GET", "/echo", nil))
				c.expectReset(ctx, 3, codeRefused)
				c.sendData(ctx, 1, msg[6:], true, 0)
				c.okResponse(ctx, 1, 200, "/echo")
			},
		},
		{
			ID:          "httpipc/3.2.3/5",
			Title:       "After stream 1 is answered, send RESET(CANCEL) on it; the target ignores it and serves stream 3",
			Level:       must,
			Requirement: "A RESET on a closed stream is ignored; only ids never opened are an error.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				c.echoOK(ctx, 1, "stream 1")
				c.send(frame{typ: tReset, sid: 1, payload: []byte{codeCancel, 0}})
				c.echoOK(ctx, 3, "after RESET on a closed stream")
			},
		},
	}
}

// fillSlots opens /slow requests on streams 1, 3, … until all but one of
// the target's max_concurrent_streams are in use, and returns that number.
func fillSlots(ctx context.Context, t *conformance.T, c *conn, p peer) int {
	if p.maxStreams == 0 || p.maxStreams > 256 {
		t.Skipf("the target's max_concurrent_streams is %d: the case needs 1..256", p.maxStreams)
	}
	needRoute(ctx, t, "/slow?ms=0")
	m := int(p.maxStreams)
	var batch []frame
	for i := 0; i < m-1; i++ {
		batch = append(batch, frame{typ: tData, sid: uint64(2*i + 1), flags: flagEnd, payload: get("GET", "/slow?ms=30000", nil)})
	}
	if len(batch) > 0 {
		c.send(batch...)
	}
	return m
}

func pingCases() []conformance.Case {
	return []conformance.Case{
		{
			ID:          "httpipc/3.2.4/1",
			Title:       "Send PING; the target answers PING with the ACK flag and the same 8 bytes on stream 0",
			Level:       must,
			Requirement: "PING detects liveness: a PING is answered by a PING with ACK carrying the same opaque data.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				c.ping(ctx, "\x00\x01ping\xfe\xff")
			},
		},
		{
			ID:          "httpipc/3.2.4/2",
			Title:       "Send an unsolicited PING ACK, then a PING; the only answer is the ACK of the second",
			Level:       must,
			Requirement: "A PING with ACK answers a PING; it is never itself answered (no ping storm).",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				c.send(frame{typ: tPing, flags: flagAck, payload: []byte("unasked!")})
				c.ping(ctx, "asked..!")
			},
		},
		{
			ID:          "httpipc/3.2.4/3",
			Title:       "Send a PING with a 7-byte payload; the target answers GOAWAY(FRAME_SIZE), not an ACK",
			Level:       must,
			Requirement: "A PING payload is exactly 8 bytes; another length is a connection error FRAME_SIZE.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				c.send(frame{typ: tPing, payload: []byte("seven!!")})
				for c.goAway == nil {
					f := c.next(ctx, "GOAWAY(FRAME_SIZE)")
					if f.typ == tPing && f.flags&flagAck != 0 {
						t.Failf("GOAWAY(FRAME_SIZE)", "%s", f.String())
					}
				}
				c.expectGoAway(ctx, codeFrameSize)
				c.expectClose(ctx)
			},
		},
	}
}
