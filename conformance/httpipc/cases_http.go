package ipcsuite

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/httpipc/bhttp"
)

// Cases of HTTP over the streams: streaming (§3.3), concurrency and flow
// control (§3.4), limits (§3.5), errors (§3.6) and bhttp edge cases
// (§2.2, RFC 9292).

func streamingCases() []conformance.Case {
	return []conformance.Case{
		{
			ID:          "httpipc/3.3/1",
			Title:       "GET /informational; the response carries the 103 (with its link field) before the final 200",
			Level:       must,
			Requirement: "1xx responses come from WriteHeader(1xx) and are sent as RFC 9292 informational responses before the final status.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				c.request(ctx, 1, get("GET", "/informational", nil))
				resp := c.okResponse(ctx, 1, 200, "/informational")
				if len(resp.Informational) != 1 || resp.Informational[0].Status != 103 ||
					!strings.Contains(resp.Informational[0].Header.Get("link"), "/style.css") {
					t.Failf("one informational response 103 with link: </style.css>; rel=preload", "%+v", resp.Informational)
				}
				if string(resp.Body) != "final" {
					t.Failf(`final body "final"`, "%.100q", resp.Body)
				}
			},
		},
		{
			ID:          "httpipc/3.3/2",
			Title:       "GET /trailers; the response carries the trailer field x-trailer: done after the body",
			Level:       must,
			Requirement: "Trailers set by the handler are sent in the RFC 9292 trailer section.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				c.request(ctx, 1, get("GET", "/trailers", nil))
				resp := c.okResponse(ctx, 1, 200, "/trailers")
				if resp.Trailer.Get("x-trailer") != "done" || string(resp.Body) != "body" {
					t.Failf(`body "body" and trailer x-trailer: done`, "body %.100q trailer %v", resp.Body, resp.Trailer)
				}
			},
		},
		{
			ID:          "httpipc/3.3/3",
			Title:       "POST /echo with the request trailer x-echo-t: 1; the handler sees it after the body and echoes it as a response trailer",
			Level:       must,
			Requirement: "Request trailers become valid after the body reaches EOF, as in net/http (httpipc spec §3.3).",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				r := &bhttp.Request{Method: "POST", Scheme: "http", Authority: "ipc.localhost", Path: "/echo",
					Header: bhttp.Fields{field("trailer", "x-echo-t")}, Body: []byte("with trailer"),
					Trailer: bhttp.Fields{field("x-echo-t", "1")}}
				msg, _ := bhttp.AppendRequest(nil, r)
				c.request(ctx, 1, msg)
				resp := c.okResponse(ctx, 1, 200, "/echo")
				if resp.Trailer.Get("x-echo-t") != "1" {
					t.Failf("response trailer x-echo-t: 1", "trailer %v", resp.Trailer)
				}
			},
		},
	}
}

func concurrencyCases() []conformance.Case {
	return []conformance.Case{
		{
			ID:          "httpipc/3.4.1/1",
			Title:       "Interleave the frames of 8 /echo requests on streams 1..15; each stream gets the echo of its own body",
			Level:       must,
			Requirement: "Requests run concurrently on independent stream ids; never the FIFO plus \"current request\" pattern.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				p := c.handshake(ctx)
				n := int(min(p.maxStreams, 8))
				if n < 2 {
					t.Skipf("the target allows %d concurrent streams", p.maxStreams)
				}
				msgs := make([][]byte, n)
				for i := range msgs {
					msgs[i] = get("POST", "/echo", []byte(fmt.Sprintf("body of stream %d %s", 2*i+1, strings.Repeat("x", i*37))))
				}
				for i, m := range msgs {
					c.sendData(ctx, uint64(2*i+1), m[:len(m)/2], false, 0)
				}
				for i := n - 1; i >= 0; i-- {
					c.sendData(ctx, uint64(2*i+1), msgs[i][len(msgs[i])/2:], true, 0)
				}
				for i := range msgs {
					sid := uint64(2*i + 1)
					resp := c.okResponse(ctx, sid, 200, "/echo")
					want := fmt.Sprintf("body of stream %d %s", sid, strings.Repeat("x", i*37))
					if string(resp.Body) != want {
						t.Failf(fmt.Sprintf("stream %d echoes %.40q", sid, want), "%.60q", resp.Body)
					}
				}
			},
		},
		{
			ID:          "httpipc/3.4.1/2",
			Title:       "GET /slow?ms=2000 on stream 1, then /echo on stream 3; stream 3 is answered while stream 1 is still pending",
			Level:       must,
			Requirement: "Streams are independent: a slow response does not delay the others (no head-of-line blocking).",
			Run: func(ctx context.Context, t *conformance.T) {
				needRoute(ctx, t, "/slow?ms=0")
				c := dial(ctx, t)
				defer c.close()
				p := c.handshake(ctx)
				if p.maxStreams < 2 {
					t.Skipf("the target allows %d concurrent streams", p.maxStreams)
				}
				c.request(ctx, 1, get("GET", "/slow?ms=2000", nil))
				c.echoOK(ctx, 3, "beside a slow stream")
				if st := c.streams[1]; st != nil && (st.end || st.reset != nil) {
					t.Failf("stream 3 answered before the 2s /slow on stream 1", "stream 1 ended first")
				}
			},
		},
		{
			ID:          "httpipc/3.4.1/3",
			Title:       "Open max_concurrent_streams /slow streams and one more; the extra one gets RESET(REFUSED_STREAM), the others stay open",
			Level:       must,
			Requirement: "The number of open streams is limited by max_concurrent_streams; a server refuses extra streams with RESET(REFUSED_STREAM).",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				p := c.handshake(ctx)
				m := fillSlots(ctx, t, c, p)
				c.request(ctx, uint64(2*m-1), get("GET", "/slow?ms=30000", nil))
				extra := uint64(2*m + 1)
				c.request(ctx, extra, get("GET", "/echo", nil))
				c.expectReset(ctx, extra, codeRefused)
				c.ping(ctx, "slots-ok")
				c.skipIf404(1, "/slow")
				for sid, st := range c.streams {
					if sid != extra && (st.reset != nil || st.end) {
						t.Failf(fmt.Sprintf("the first %d streams stay open", m), "stream %d ended", sid)
					}
				}
			},
		},
	}
}

func flowCases() []conformance.Case {
	return []conformance.Case{
		{
			ID:          "httpipc/3.4.2/1",
			Title:       "Announce initial_stream_credit 1024 and GET /bytes/20000; the target sends 1024 bytes, stops, and completes after CREDIT",
			Level:       must,
			Requirement: "A sender never sends more DATA than min(stream credit, connection credit); CREDIT frames add to a stream's window.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx, setting{sStreamCredit, 1024})
				c.request(ctx, 1, get("GET", "/bytes/20000", nil))
				for st := c.streams[1]; st == nil || len(st.data) < 1024; st = c.streams[1] {
					if st != nil && (st.end || st.reset != nil) {
						c.okResponse(ctx, 1, 200, "/bytes/N") // fails on RESET; a 404 skips
						t.Failf("a response longer than 1024 bytes", "the response ended within the credit")
					}
					c.next(ctx, "1024 bytes of the response (the stream credit)")
				}
				c.ping(ctx, "credit-1") // nothing beyond the credit meanwhile
				c.recvStream[1] += 1 << 20
				c.send(frame{typ: tCredit, sid: 1, payload: bhttp.AppendVarint(nil, 1<<20)})
				resp := c.okResponse(ctx, 1, 200, "/bytes/N")
				if !bytes.Equal(resp.Body, pattern(20000)) {
					t.Failf("20000 bytes of the /bytes pattern", "%d bytes", len(resp.Body))
				}
			},
		},
		{
			ID:          "httpipc/3.4.2/2",
			Title:       "Announce initial_conn_credit 2048 and GET /bytes/10000 on two streams; at most 2048 bytes arrive until CREDIT on stream 0",
			Level:       must,
			Requirement: "Flow control is per stream and per connection: every DATA byte uses connection credit too; CREDIT on stream 0 adds to the connection window.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				p := c.handshake(ctx, setting{sConnCredit, 2048})
				if p.maxStreams < 2 {
					t.Skipf("the target allows %d concurrent streams", p.maxStreams)
				}
				c.send(frame{typ: tData, sid: 1, flags: flagEnd, payload: get("GET", "/bytes/10000", nil)},
					frame{typ: tData, sid: 3, flags: flagEnd, payload: get("GET", "/bytes/10000", nil)})
				for c.recvConn > 0 {
					for _, sid := range []uint64{1, 3} {
						if st := c.streams[sid]; st != nil && (st.reset != nil || st.end) {
							c.okResponse(ctx, sid, 200, "/bytes/N")
						}
					}
					c.next(ctx, "2048 bytes of responses (the connection credit)")
				}
				c.ping(ctx, "credit-0")
				c.recvConn += 1 << 20
				c.send(frame{typ: tCredit, payload: bhttp.AppendVarint(nil, 1<<20)})
				for _, sid := range []uint64{1, 3} {
					resp := c.okResponse(ctx, sid, 200, "/bytes/N")
					if !bytes.Equal(resp.Body, pattern(10000)) {
						t.Failf("10000 bytes of the /bytes pattern", "%d bytes on stream %d", len(resp.Body), sid)
					}
				}
			},
		},
		{
			ID:          "httpipc/3.4.2/3",
			Title:       "POST /echo with twice the target's initial_stream_credit; the target returns CREDIT as it reads and echoes it all",
			Level:       must,
			Requirement: "The receiver returns credit with CREDIT frames as the application consumes the bytes.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				p := c.handshake(ctx)
				n := 2*min(p.streamCredit, p.connCredit) + 1
				if n > 16<<20 || n > uint64(intParam(t, "max-body", 8<<20)) {
					t.Skipf("twice the target's credit (%d stream, %d connection) is above max-body or 16 MiB", p.streamCredit, p.connCredit)
				}
				body := pattern(int(n))
				if !c.sendData(ctx, 1, get("POST", "/echo", body), true, 0) {
					c.skipIf404(1, "/echo")
					if st := c.streams[1]; st != nil && st.reset != nil {
						t.Failf("CREDIT for the request body", "%s", st.reset.String())
					}
					t.Failf("CREDIT for the request body", "the target sent no CREDIT after %d bytes", min(p.streamCredit, p.connCredit))
				}
				resp := c.okResponse(ctx, 1, 200, "/echo")
				if !bytes.Equal(resp.Body, body) {
					t.Failf(fmt.Sprintf("the echo of %d bytes", n), "%d bytes", len(resp.Body))
				}
			},
		},
	}
}

// intParam reads a numeric suite parameter.
func intParam(t *conformance.T, name string, def int) int {
	s := t.Param(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Errorf("param %s=%q is not a positive number", name, s)
	}
	return n
}

// fill returns header fields whose encoded size (RFC 9292 field lines,
// length prefixes included) is exactly size bytes (size >= 64), each value
// at most maxValue bytes (>= 64).
func fill(size, maxValue int) bhttp.Fields {
	lineLen := func(name string, v int) int { return 1 + len(name) + len(bhttp.AppendVarint(nil, uint64(v))) + v }
	var fs bhttp.Fields
	for i := 0; size > 0; i++ {
		name := fmt.Sprintf("x-fill-%d", i)
		if full := lineLen(name, maxValue); size-full >= 64 {
			fs = append(fs, field(name, strings.Repeat("f", maxValue)))
			size -= full
			continue
		} else if size > full {
			half := maxValue / 2
			fs = append(fs, field(name, strings.Repeat("f", half)))
			size -= lineLen(name, half)
			continue
		}
		// The last line, exactly size bytes; a varint boundary may need a
		// name one byte longer.
		for ; len(name) < 32; name += "z" {
			if v, ok := valueFor(size - 1 - len(name)); ok {
				fs = append(fs, field(name, strings.Repeat("f", v)))
				return fs
			}
		}
		panic("ipcsuite: fill cannot reach the size")
	}
	return fs
}

// valueFor returns v such that v plus the length of its varint is rest.
func valueFor(rest int) (int, bool) {
	for _, vl := range []int{1, 2, 4} {
		if v := rest - vl; v >= 0 && len(bhttp.AppendVarint(nil, uint64(v))) == vl {
			return v, true
		}
	}
	return 0, false
}

func encodedLen(fs bhttp.Fields) (enc, nameValue int) {
	for _, f := range fs {
		enc += len(bhttp.AppendVarint(nil, uint64(len(f.Name)))) + len(f.Name) + len(bhttp.AppendVarint(nil, uint64(len(f.Value)))) + len(f.Value)
		nameValue += len(f.Name) + len(f.Value)
	}
	return enc, nameValue
}

func limitCases() []conformance.Case {
	return []conformance.Case{
		{
			ID:          "httpipc/3.5/1",
			Title:       "Send a header section of exactly max_header_bytes, then one of max_header_bytes+1 name and value bytes; 200, then RESET(HEADER_LIMIT), and the connection goes on",
			Level:       must,
			Requirement: "A header section above max_header_bytes resets the stream with HEADER_LIMIT; a per-stream error does not kill the connection.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				p := c.handshake(ctx)
				limit := int(p.maxHeaderBytes)
				maxField := intParam(t, "max-field-length", 8192)
				if limit > 1<<20 {
					t.Skipf("the target's max_header_bytes %d is too large to exceed here", limit)
				}
				ok := fill(limit, maxField)
				c.request(ctx, 1, get("GET", "/echo", nil, ok...))
				c.okResponse(ctx, 1, 200, "/echo")
				// Over the limit however it is measured: the name and value
				// bytes alone exceed it.
				over := fill(limit+1, maxField)
				for _, nv := encodedLen(over); nv <= limit; _, nv = encodedLen(over) {
					over = append(over, field("x-more", strings.Repeat("m", min(maxField, limit+1-nv))))
				}
				c.request(ctx, 3, get("GET", "/echo", nil, over...))
				c.expectReset(ctx, 3, codeHeaderLimit)
				c.echoOK(ctx, 5, "after a HEADER_LIMIT reset")
			},
		},
		{
			ID:          "httpipc/3.5/2",
			Title:       "Send max-fields field lines, then one more; 200, then RESET(HEADER_LIMIT), and the connection goes on",
			Level:       must,
			Requirement: "The number of field lines is limited (default 1000); exceeding it resets the stream with HEADER_LIMIT.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				p := c.handshake(ctx)
				n := intParam(t, "max-fields", 1000)
				if 3*(n+1) > int(p.maxHeaderBytes) {
					t.Skipf("%d field lines do not fit in max_header_bytes %d", n+1, p.maxHeaderBytes)
				}
				fs := make(bhttp.Fields, n+1)
				for i := range fs {
					fs[i] = field("a", "")
				}
				c.request(ctx, 1, get("GET", "/echo", nil, fs[:n]...))
				c.okResponse(ctx, 1, 200, "/echo")
				c.request(ctx, 3, get("GET", "/echo", nil, fs...))
				c.expectReset(ctx, 3, codeHeaderLimit)
				c.echoOK(ctx, 5, "after a HEADER_LIMIT reset")
			},
		},
		{
			ID:          "httpipc/3.5/3",
			Title:       "POST /echo with max-body bytes, then max-body+1; 200, then RESET(MESSAGE_TOO_LARGE) or 413, and the connection goes on",
			Level:       must,
			Requirement: "Request content above the body limit (default 8 MiB) is refused with RESET MESSAGE_TOO_LARGE (or 413); the connection survives.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				n := intParam(t, "max-body", 8<<20)
				if n > 64<<20 {
					t.Skipf("max-body %d is too large to send here", n)
				}
				body := pattern(n + 1)
				c.sendData(ctx, 1, get("POST", "/echo", body[:n]), true, 0)
				resp := c.okResponse(ctx, 1, 200, "/echo")
				if len(resp.Body) != n {
					t.Failf(fmt.Sprintf("the echo of %d bytes", n), "%d bytes", len(resp.Body))
				}
				c.sendData(ctx, 3, get("POST", "/echo", body), true, 0)
				st := c.await(ctx, 3, "RESET(MESSAGE_TOO_LARGE) or 413 on stream 3")
				if st.reset == nil || !st.end {
					if r, err := bhttp.DecodeResponse(st.data, bhttp.Limits{MaxBodySize: 256 << 20}); err == nil && r.Status == 413 {
						c.echoOK(ctx, 5, "after a 413")
						return
					}
				}
				c.expectReset(ctx, 3, codeMessageTooLarge)
				c.echoOK(ctx, 5, "after a MESSAGE_TOO_LARGE reset")
			},
		},
		{
			ID:          "httpipc/3.5/4",
			Title:       "Send a field value of max-field-length bytes, then one byte longer; 200, then a stream reset, and the connection goes on",
			Level:       must,
			Requirement: "A single field name or value is limited (default 8 KiB); a longer one makes the message invalid: the stream is reset (HEADER_LIMIT or PROTOCOL).",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				p := c.handshake(ctx)
				n := intParam(t, "max-field-length", 8192)
				if n+64 > int(p.maxHeaderBytes) {
					t.Skipf("a %d-byte value does not fit in max_header_bytes %d", n+1, p.maxHeaderBytes)
				}
				c.request(ctx, 1, get("GET", "/echo", nil, field("x-long", strings.Repeat("v", n))))
				c.okResponse(ctx, 1, 200, "/echo")
				c.request(ctx, 3, get("GET", "/echo", nil, field("x-long", strings.Repeat("v", n+1))))
				c.expectReset(ctx, 3, codeHeaderLimit, codeProtocol)
				c.echoOK(ctx, 5, "after a reset for a long field")
			},
		},
	}
}

func errorCases() []conformance.Case {
	return []conformance.Case{
		{
			ID:          "httpipc/3.6/1",
			Title:       "GET /panic; the target answers 500 with no trace of the panic, and the connection goes on",
			Level:       must,
			Requirement: "Handler panics produce a real HTTP 500 without internal detail (httpipc spec §3.6).",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				c.request(ctx, 1, get("GET", "/panic", nil))
				st := c.await(ctx, 1, "a 500 response on stream 1")
				if bytes.Contains(st.data, []byte(PanicSecret)) {
					t.Failf("no panic detail in the response", "the response contains the panic text %q", PanicSecret)
				}
				c.okResponse(ctx, 1, 500, "/panic")
				c.echoOK(ctx, 3, "after a handler panic")
			},
		},
	}
}

// invalid sends msg on stream 1 and expects RESET(PROTOCOL), no response;
// then the connection still serves stream 3.
func invalid(ctx context.Context, t *conformance.T, msg []byte) {
	c := dial(ctx, t)
	defer c.close()
	c.handshake(ctx)
	c.request(ctx, 1, msg)
	st := c.await(ctx, 1, "RESET(PROTOCOL) on stream 1")
	c.skipIf404(1, "/echo")
	if st.reset == nil {
		if r, err := bhttp.DecodeResponse(st.data, bhttp.Limits{}); err == nil && r.Header.Get("x-echo-injected") != "" {
			t.Failf("RESET(PROTOCOL) on stream 1", "status %d with the injected field x-echo-injected: %q", r.Status, r.Header.Get("x-echo-injected"))
		}
	}
	c.expectReset(ctx, 1, codeProtocol)
	c.echoOK(ctx, 3, "after an invalid message")
}

// control appends request control data with minimal varints.
func control(b []byte, method, scheme, authority, path string) []byte {
	for _, s := range []string{method, scheme, authority, path} {
		b = append(bhttp.AppendVarint(b, uint64(len(s))), s...)
	}
	return b
}

// rawRequest is a known-length request whose header section holds the
// given field lines as is, without validation.
func rawRequest(path string, fields ...bhttp.Field) []byte {
	b := control([]byte{0}, "GET", "http", "ipc.localhost", path)
	var sec []byte
	for _, f := range fields {
		sec = append(bhttp.AppendVarint(sec, uint64(len(f.Name))), f.Name...)
		sec = append(bhttp.AppendVarint(sec, uint64(len(f.Value))), f.Value...)
	}
	b = append(bhttp.AppendVarint(b, uint64(len(sec))), sec...)
	return append(b, 0, 0)
}

func bhttpCases() []conformance.Case {
	echoed := func(ctx context.Context, t *conformance.T, msg []byte, body string) {
		c := dial(ctx, t)
		defer c.close()
		c.handshake(ctx)
		c.request(ctx, 1, msg)
		resp := c.okResponse(ctx, 1, 200, "/echo")
		if string(resp.Body) != body || resp.Header.Get("x-echo-a") != "1" {
			t.Failf(fmt.Sprintf("the echo: body %q and x-echo-a: 1", body), "body %.100q header %v", resp.Body, resp.Header)
		}
	}
	return []conformance.Case{
		{
			ID:          "httpipc/2.2/1",
			Title:       "Send an indeterminate-length request with a body in three chunks and 10 bytes of padding; it is echoed whole",
			Level:       must,
			Requirement: "Use indeterminate-length bhttp when the body size is unknown; known-length and indeterminate-length requests are both accepted (RFC 9292 §3).",
			Run: func(ctx context.Context, t *conformance.T) {
				b := control([]byte{2}, "POST", "http", "ipc.localhost", "/echo")
				b = append(b, 8, 'x', '-', 'e', 'c', 'h', 'o', '-', 'a', 1, '1', 0)
				for _, chunk := range []string{"one ", "two ", "three"} {
					b = append(append(b, byte(len(chunk))), chunk...)
				}
				b = append(b, 0, 0)                // content terminator, empty trailer section
				b = append(b, make([]byte, 10)...) // padding
				echoed(ctx, t, b, "one two three")
			},
		},
		{
			ID:          "httpipc/2.2/2",
			Title:       "Send a known-length request followed by 10 bytes of zero padding; it is echoed",
			Level:       must,
			Requirement: "Padding (zero bytes after the message) is harmless because END_STREAM delimits the message (RFC 9292 §3.8).",
			Run: func(ctx context.Context, t *conformance.T) {
				echoed(ctx, t, append(get("POST", "/echo", []byte("padded"), field("x-echo-a", "1")), make([]byte, 10)...), "padded")
			},
		},
		{
			ID:          "httpipc/2.2/3",
			Title:       "Send a known-length GET /echo truncated after its header section (no content, no trailer length); it is answered",
			Level:       must,
			Requirement: "A message may be truncated before the content and trailer length prefixes; decoders treat missing parts as zero-length (RFC 9292 §3.8).",
			Run: func(ctx context.Context, t *conformance.T) {
				msg := rawRequest("/echo", field("x-echo-a", "1"))
				echoed(ctx, t, msg[:len(msg)-2], "")
			},
		},
		{
			ID:          "httpipc/2.2/4",
			Title:       "Send GET /echo truncated right after its control data (no header section); it is answered",
			Level:       should,
			Requirement: "Decoders accept header-section truncation (httpipc spec §2.2 recommendation, WG PR #1960); encoders never produce it.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := dial(ctx, t)
				defer c.close()
				c.handshake(ctx)
				c.request(ctx, 1, control([]byte{0}, "GET", "http", "ipc.localhost", "/echo"))
				c.okResponse(ctx, 1, 200, "/echo")
			},
		},
		{
			ID:          "httpipc/2.2/5",
			Title:       "Send a request whose every length is a non-minimal 2-byte varint; it is echoed",
			Level:       must,
			Requirement: "A minimal varint encoding is not required: decoders must accept 0x4025 as 37 (RFC 9000 §16, RFC 9292).",
			Run: func(ctx context.Context, t *conformance.T) {
				v := func(b []byte, n int) []byte { return append(b, 0x40, byte(n)) }
				s := func(b []byte, x string) []byte { return append(v(b, len(x)), x...) }
				b := v(nil, 0) // framing indicator 0, non-minimal
				for _, x := range []string{"POST", "http", "ipc.localhost", "/echo"} {
					b = s(b, x)
				}
				b = v(b, 2+8+2+1)
				b = s(s(b, "x-echo-a"), "1")
				b = s(b, "long way")
				b = v(b, 0)
				echoed(ctx, t, b, "long way")
			},
		},
		{
			ID:          "httpipc/2.2/6",
			Title:       "Send a field value containing LF (\"ok\\nx-echo-injected: yes\"); the stream is reset with PROTOCOL, nothing is injected",
			Level:       must,
			Requirement: "Decoders must reject CR, LF and NUL in field values; never re-parse as text (httpipc spec §3.7, RFC 9292 §3.3).",
			Run: func(ctx context.Context, t *conformance.T) {
				invalid(ctx, t, rawRequest("/echo", field("x-echo-a", "ok\nx-echo-injected: yes")))
			},
		},
		{
			ID:          "httpipc/2.2/7",
			Title:       "Send a field value containing CR LF; the stream is reset with PROTOCOL",
			Level:       must,
			Requirement: "Decoders must reject CR, LF and NUL in field values (RFC 9113 §8.2.1, RFC 9292 §3.3).",
			Run: func(ctx context.Context, t *conformance.T) {
				invalid(ctx, t, rawRequest("/echo", field("x-echo-a", "ok\r\nx-echo-injected: yes")))
			},
		},
		{
			ID:          "httpipc/2.2/8",
			Title:       "Send a field value containing NUL; the stream is reset with PROTOCOL",
			Level:       must,
			Requirement: "Decoders must reject CR, LF and NUL in field values (RFC 9113 §8.2.1, RFC 9292 §3.3).",
			Run: func(ctx context.Context, t *conformance.T) {
				invalid(ctx, t, rawRequest("/echo", field("x-echo-a", "ok\x00x")))
			},
		},
		{
			ID:          "httpipc/2.2/9",
			Title:       "Send a :path pseudo-field in the header section; the stream is reset with PROTOCOL",
			Level:       must,
			Requirement: "Fields named :method, :scheme, :authority, :path or :status are invalid in bhttp field sections (RFC 9292 §3.3).",
			Run: func(ctx context.Context, t *conformance.T) {
				invalid(ctx, t, rawRequest("/echo", field(":path", "/other")))
			},
		},
		{
			ID:          "httpipc/2.2/10",
			Title:       "Send POST /echo followed by non-zero padding; the stream is reset with PROTOCOL",
			Level:       must,
			Requirement: "Padding is zero bytes; a non-zero byte after the message makes it invalid, and an invalid message must not be processed further (RFC 9292 §3.8, §4).",
			Run: func(ctx context.Context, t *conformance.T) {
				invalid(ctx, t, append(get("POST", "/echo", []byte("x")), 0, 0, 1))
			},
		},
		{
			ID:          "httpipc/2.2/11",
			Title:       "Send a response (framing indicator 1) as a request; the stream is reset with PROTOCOL",
			Level:       must,
			Requirement: "A request's framing indicator is 0 or 2; any other value makes the message invalid (RFC 9292 §3).",
			Run: func(ctx context.Context, t *conformance.T) {
				invalid(ctx, t, []byte{1, 0x40, 0xc8, 0, 0, 0})
			},
		},
		{
			ID:          "httpipc/2.2/12",
			Title:       "Send an upper-case field name (X-Echo-A); the stream is reset with PROTOCOL",
			Level:       must,
			Requirement: "Field names are lowercase tokens on the wire; an upper-case name makes the message malformed (RFC 9113 §8.2.1, RFC 9292 §3.3).",
			Run: func(ctx context.Context, t *conformance.T) {
				invalid(ctx, t, rawRequest("/echo", field("X-Echo-A", "1")))
			},
		},
	}
}
