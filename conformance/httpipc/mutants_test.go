package ipcsuite

import (
	"bufio"
	"bytes"
	"io"
	"sync"
	"testing"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/httpipc/bhttp"
	"github.com/appwire/appwire/internal/conformancetest"
)

// Mutants are byte-stream proxies between the suite and the real
// httpipc.Server: each rewrites the frames of one direction to flip one
// behaviour, as a buggy server would. They read frames with the suite's
// own reader and re-encode them.

type mutant struct {
	name string
	conn func() (toServer, toClient conformancetest.Pump)
}

// closeConn, returned by an edit, ends the connection after the frames
// before it are written.
var closeConn = frame{typ: ^uint64(0)}

// frames returns a Pump applying edit to every frame.
func frames(edit func(f frame) []frame) conformancetest.Pump {
	return func(dst io.Writer, src io.Reader) error {
		br := bufio.NewReader(src)
		for {
			f, err := readFrame(br, 1<<26)
			if err != nil {
				return err
			}
			var out []byte
			stop := false
			for _, g := range edit(f) {
				if g.typ == closeConn.typ {
					stop = true
					break
				}
				out = append(out, g.encode()...)
			}
			if len(out) > 0 {
				if _, err := dst.Write(out); err != nil {
					return err
				}
			}
			if stop {
				return nil
			}
		}
	}
}

func toServer(edit func(f frame) []frame) func() (conformancetest.Pump, conformancetest.Pump) {
	return func() (conformancetest.Pump, conformancetest.Pump) { return frames(edit), nil }
}

func toClient(edit func(f frame) []frame) func() (conformancetest.Pump, conformancetest.Pump) {
	return func() (conformancetest.Pump, conformancetest.Pump) { return nil, frames(edit) }
}

// toServerPer and toClientPer are toServer and toClient for edits that keep
// state: newEdit is called once per connection.
func toServerPer(newEdit func() func(f frame) []frame) func() (conformancetest.Pump, conformancetest.Pump) {
	return func() (conformancetest.Pump, conformancetest.Pump) { return frames(newEdit()), nil }
}

func toClientPer(newEdit func() func(f frame) []frame) func() (conformancetest.Pump, conformancetest.Pump) {
	return func() (conformancetest.Pump, conformancetest.Pump) { return nil, frames(newEdit()) }
}

func one(f frame) []frame { return []frame{f} }

// editHello rewrites the client's HELLO settings (and version).
func editHello(edit func(v uint64, ss []setting) (uint64, []setting)) func(f frame) []frame {
	return func(f frame) []frame {
		if f.typ != tHello {
			return one(f)
		}
		v, ss, err := f.hello()
		if err != nil {
			return one(f)
		}
		v, ss = edit(v, ss)
		return one(hello(v, ss...))
	}
}

func withoutSetting(id uint64) func(uint64, []setting) (uint64, []setting) {
	return func(v uint64, ss []setting) (uint64, []setting) {
		var out []setting
		for _, s := range ss {
			if s.id != id {
				out = append(out, s)
			}
		}
		return v, out
	}
}

// remap sends client frames of the streams pick chooses to fresh odd ids
// and maps the server's answers back, as a server that accepts what it
// should refuse.
func remap(pick func(f frame, ended map[uint64]bool) bool) func() (conformancetest.Pump, conformancetest.Pump) {
	return func() (conformancetest.Pump, conformancetest.Pump) {
		var mu sync.Mutex
		to, back := map[uint64]uint64{}, map[uint64]uint64{}
		ended := map[uint64]bool{} // client streams that sent END_STREAM
		next := uint64(5001)
		ts := frames(func(f frame) []frame {
			mu.Lock()
			defer mu.Unlock()
			if (f.typ == tData || f.typ == tReset || f.typ == tCredit) && pick(f, ended) {
				id, ok := to[f.sid]
				if !ok || ended[f.sid] {
					id, next = next, next+2
					to[f.sid], back[id] = id, f.sid
				}
				f.sid = id
			} else if f.typ == tData && f.flags&flagEnd != 0 {
				ended[f.sid] = true
			}
			return one(f)
		})
		tc := frames(func(f frame) []frame {
			mu.Lock()
			defer mu.Unlock()
			if orig, ok := back[f.sid]; ok && f.sid != 0 {
				f.sid = orig
			}
			return one(f)
		})
		return ts, tc
	}
}

// rewriteResponses buffers each response until END_STREAM, lets edit
// change it, and sends it again in 1024-byte DATA frames.
func rewriteResponses(edit func(r *bhttp.Response)) func() (conformancetest.Pump, conformancetest.Pump) {
	return toClientPer(func() func(f frame) []frame {
		buf := map[uint64][]byte{}
		return func(f frame) []frame {
			if f.typ != tData {
				return one(f)
			}
			buf[f.sid] = append(buf[f.sid], f.payload...)
			if f.flags&flagEnd == 0 {
				return nil
			}
			msg := buf[f.sid]
			delete(buf, f.sid)
			if r, err := bhttp.DecodeResponse(msg, bhttp.Limits{MaxBodySize: 1 << 26}); err == nil {
				edit(r)
				if b, err := bhttp.AppendResponse(nil, r); err == nil {
					msg = b
				}
			}
			var out []frame
			for first := true; first || len(msg) > 0; first = false {
				n := min(len(msg), 1024)
				g := frame{typ: tData, sid: f.sid, payload: msg[:n]}
				if n == len(msg) {
					g.flags = flagEnd
				}
				out, msg = append(out, g), msg[n:]
			}
			return out
		}
	})
}

// rewriteRequests buffers each request until END_STREAM and, when reject
// says so, replaces it with an invalid message (framing indicator 7), so
// the server resets the stream: a server with a stricter decoder.
func rewriteRequests(reject func(msg []byte) bool) func() (conformancetest.Pump, conformancetest.Pump) {
	return toServerPer(func() func(f frame) []frame {
		buf := map[uint64][]byte{}
		return func(f frame) []frame {
			if f.typ != tData || f.sid == 0 || f.sid%2 == 0 {
				return one(f)
			}
			buf[f.sid] = append(buf[f.sid], f.payload...)
			if f.flags&flagEnd == 0 {
				return nil
			}
			msg := buf[f.sid]
			delete(buf, f.sid)
			if reject(msg) {
				msg = []byte{7}
			}
			var out []frame
			for first := true; first || len(msg) > 0; first = false {
				n := min(len(msg), 16<<10)
				g := frame{typ: tData, sid: f.sid, payload: msg[:n]}
				if n == len(msg) {
					g.flags = flagEnd
				}
				out, msg = append(out, g), msg[n:]
			}
			return out
		}
	})
}

// canonical reports whether msg is a valid request that is byte for byte
// the known-length encoding httpipc/bhttp writes.
func canonical(msg []byte) bool {
	r, err := bhttp.DecodeRequest(msg, bhttp.Limits{MaxBodySize: 1 << 26})
	if err != nil {
		return true // invalid: leave it to the server
	}
	r.Indeterminate = false
	b, err := bhttp.AppendRequest(nil, r)
	return err == nil && bytes.Equal(b, msg)
}

// resetCode rewrites RESET codes to the client.
func resetCode(edit func(sid, code uint64) []frame) func(f frame) []frame {
	return func(f frame) []frame {
		if f.typ != tReset {
			return one(f)
		}
		code, _, err := f.reset()
		if err != nil {
			return one(f)
		}
		if out := edit(f.sid, code); out != nil {
			return out
		}
		return one(f)
	}
}

func reset(sid, code uint64) frame {
	return frame{typ: tReset, sid: sid, payload: []byte{byte(code), 0}}
}

// mutants puts each proxy in front of a fresh reference server that
// backend starts.
func mutants(backend func(t *testing.T) string) []conformancetest.Mutant {
	var out []conformancetest.Mutant
	for _, m := range ipcMutants() {
		out = append(out, conformancetest.Mutant{Name: m.name, Short: shortMutants[m.name], Start: func(t *testing.T) conformance.Target {
			return target("unix://" + conformancetest.StartStreamProxy(t, conformancetest.StreamProxy{
				Network: "unix", Backend: backend(t), Conn: m.conn}))
		}})
	}
	return out
}

// shortMutants run under -short: one per kind of proxy that is caught
// within a second (HELLO and frame-type edits, stream remapping, RESET
// codes, PING flags, GOAWAY); the response- and request-rewriting
// mutants are caught only at a case's timeout and wait for the full run.
var shortMutants = map[string]bool{
	"closes-on-unknown": true, "accepts-even-streams": true, "resets-as-protocol": true,
	"answers-invalid": true, "ping-without-ack": true, "ends-with-reset": true, "goaway-drops-streams": true,
}

func ipcMutants() []mutant {
	return []mutant{
		{"hello-waits-for-client", func() (conformancetest.Pump, conformancetest.Pump) {
			spoke := make(chan struct{})
			var once sync.Once
			ts := func(dst io.Writer, src io.Reader) error {
				return conformancetest.Copy(dst, readerFunc(func(p []byte) (int, error) {
					n, err := src.Read(p)
					once.Do(func() { close(spoke) })
					return n, err
				}))
			}
			tc := func(dst io.Writer, src io.Reader) error {
				<-spoke
				return conformancetest.Copy(dst, src)
			}
			return ts, tc
		}},
		{"accepts-any-version", toServer(editHello(func(_ uint64, ss []setting) (uint64, []setting) { return 1, ss }))},
		{"accepts-missing-hello", toServerPer(func() func(frame) []frame {
			first := true
			return func(f frame) []frame {
				if first && f.typ != tHello {
					first = false
					return []frame{hello(1, ourSettings()...), f}
				}
				first = false
				return one(f)
			}
		})},
		{"ignores-second-hello", toServerPer(func() func(frame) []frame {
			seen := false
			return func(f frame) []frame {
				if f.typ == tHello && seen {
					return nil
				}
				seen = seen || f.typ == tHello
				return one(f)
			}
		})},
		{"clamps-small-frame-size", toServer(editHello(func(v uint64, ss []setting) (uint64, []setting) {
			for i := range ss {
				if ss[i].id == sMaxFrameSize && ss[i].value < minFrameSize {
					ss[i].value = minFrameSize
				}
			}
			return v, ss
		}))},
		{"keeps-duplicate-settings", toServer(editHello(func(v uint64, ss []setting) (uint64, []setting) {
			var out []setting
			seen := map[uint64]bool{}
			for _, s := range ss {
				if !seen[s.id] {
					out = append(out, s)
				}
				seen[s.id] = true
			}
			return v, out
		}))},
		{"closes-on-unknown", toServer(func(f frame) []frame {
			if _, known := typeNames[f.typ]; !known {
				return []frame{closeConn}
			}
			if f.typ == tHello {
				_, ss, _ := f.hello()
				for _, s := range ss {
					if settingNames[s.id] == "" {
						return []frame{closeConn}
					}
				}
			}
			return one(f)
		})},
		{"accepts-oversize-frames", toServer(func(f frame) []frame {
			if f.typ != tData || len(f.payload) <= 16<<10 {
				return one(f)
			}
			a, b := f, f
			a.payload, a.flags = f.payload[:16<<10], 0
			b.payload = f.payload[16<<10:]
			return []frame{a, b}
		})},
		{"accepts-even-streams", remap(func(f frame, _ map[uint64]bool) bool { return f.sid != 0 && f.sid%2 == 0 })},
		{"accepts-stream-0-data", remap(func(f frame, _ map[uint64]bool) bool { return f.sid == 0 && f.typ == tData })},
		{"reopens-ended-streams", remap(func(f frame, ended map[uint64]bool) bool { return ended[f.sid] })},
		{"first-frame-only", toServerPer(func() func(frame) []frame {
			seen := map[uint64]bool{}
			return func(f frame) []frame {
				if f.typ != tData {
					return one(f)
				}
				if seen[f.sid] {
					return nil
				}
				seen[f.sid] = true
				f.flags |= flagEnd
				return one(f)
			}
		})},
		{"ignores-client-max-frame-size", toServer(editHello(withoutSetting(sMaxFrameSize)))},
		{"ignores-stream-credit", toServer(editHello(withoutSetting(sStreamCredit)))},
		{"ignores-conn-credit", toServer(editHello(withoutSetting(sConnCredit)))},
		{"swallows-reset", toServer(func(f frame) []frame {
			if f.typ == tReset {
				return nil
			}
			return one(f)
		})},
		{"ends-with-reset", toClient(func(f frame) []frame {
			if f.typ == tData && f.flags&flagEnd != 0 {
				f.flags = 0
				return []frame{f, reset(f.sid, codeNo)}
			}
			return one(f)
		})},
		{"goaway-wrong-last-id", toClient(func(f frame) []frame {
			if f.typ == tGoAway {
				last, code, _, err := f.goAway()
				if err == nil {
					f.payload = append(bhttp.AppendVarint(nil, last+2), byte(code), 0)
				}
			}
			return one(f)
		})},
		{"goaway-drops-streams", toServer(func(f frame) []frame {
			if f.typ == tGoAway {
				return []frame{closeConn}
			}
			return one(f)
		})},
		{"ignores-client-goaway", toServer(func(f frame) []frame {
			if f.typ == tGoAway {
				return nil
			}
			return one(f)
		})},
		{"ping-without-ack", toClient(func(f frame) []frame {
			if f.typ == tPing {
				f.flags = 0
			}
			return one(f)
		})},
		{"answers-ping-acks", toServer(func(f frame) []frame {
			if f.typ == tPing {
				f.flags = 0
			}
			return one(f)
		})},
		{"accepts-short-ping", toServer(func(f frame) []frame {
			if f.typ == tPing && len(f.payload) != 8 {
				f.payload = append(f.payload, make([]byte, 8)...)[:8]
			}
			return one(f)
		})},
		{"drops-informational", rewriteResponses(func(r *bhttp.Response) { r.Informational = nil })},
		{"drops-trailers", rewriteResponses(func(r *bhttp.Response) { r.Trailer = nil })},
		{"leaks-panic", rewriteResponses(func(r *bhttp.Response) {
			if r.Status == 500 {
				r.Body = []byte("panic: " + PanicSecret + "\n\ngoroutine 1 [running]:\n")
			}
		})},
		{"crossed-streams", toClient(func(f frame) []frame {
			if f.typ == tData || f.typ == tReset {
				switch f.sid % 4 {
				case 1:
					f.sid += 2
				case 3:
					f.sid -= 2
				}
			}
			return one(f)
		})},
		{"head-of-line", headOfLine},
		{"overstates-max-streams", toClient(func(f frame) []frame {
			if f.typ == tHello {
				v, ss, err := f.hello()
				if err == nil {
					for i := range ss {
						if ss[i].id == sMaxStreams {
							ss[i].value += 2
						}
					}
					return one(hello(v, ss...))
				}
			}
			return one(f)
		})},
		{"withholds-credit", toClient(func(f frame) []frame {
			if f.typ == tCredit {
				return nil
			}
			return one(f)
		})},
		{"resets-as-protocol", toClient(resetCode(func(sid, code uint64) []frame {
			if code == codeHeaderLimit || code == codeMessageTooLarge || code == codeRefused {
				return []frame{reset(sid, codeProtocol)}
			}
			return nil
		}))},
		{"limits-kill-connection", toClient(resetCode(func(sid, code uint64) []frame {
			if code == codeHeaderLimit || code == codeMessageTooLarge {
				return []frame{reset(sid, code), {typ: tGoAway, payload: []byte{byte(sid), byte(code), 0}}, closeConn}
			}
			return nil
		}))},
		{"answers-invalid", toClient(resetCode(func(sid, code uint64) []frame {
			if code == codeProtocol || code == codeHeaderLimit || code == codeMessageTooLarge {
				msg, _ := bhttp.AppendResponse(nil, &bhttp.Response{Status: 200, Body: []byte("accepted")})
				return []frame{{typ: tData, sid: sid, flags: flagEnd, payload: msg}}
			}
			return nil
		}))},
		{"rejects-indeterminate", rewriteRequests(func(msg []byte) bool { return len(msg) > 0 && msg[0] == 2 })},
		{"rejects-padding", rewriteRequests(func(msg []byte) bool {
			r, err := bhttp.DecodeRequest(msg, bhttp.Limits{MaxBodySize: 1 << 26})
			return err == nil && r.Padding > 0
		})},
		{"canonical-requests-only", rewriteRequests(func(msg []byte) bool { return !canonical(msg) })},
	}
}

type readerFunc func(p []byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// headOfLine holds back each response until every lower stream the
// client opened has been answered: the FIFO "current request" pattern.
func headOfLine() (conformancetest.Pump, conformancetest.Pump) {
	var mu sync.Mutex
	open := map[uint64]bool{}
	ts := frames(func(f frame) []frame {
		if f.typ == tData && f.sid%2 == 1 {
			mu.Lock()
			if _, ok := open[f.sid]; !ok {
				open[f.sid] = true
			}
			mu.Unlock()
		}
		return one(f)
	})
	var held []frame
	blocked := func(sid uint64) bool {
		for s, o := range open {
			if o && s < sid {
				return true
			}
		}
		return false
	}
	tc := frames(func(f frame) []frame {
		mu.Lock()
		defer mu.Unlock()
		if f.typ != tData && f.typ != tReset {
			return one(f)
		}
		held = append(held, f)
		var out []frame
		for progress := true; progress; {
			progress = false
			rest := held[:0:0]
			for _, g := range held {
				if blocked(g.sid) {
					rest = append(rest, g)
					continue
				}
				out = append(out, g)
				if g.typ == tReset || g.flags&flagEnd != 0 {
					open[g.sid] = false
					progress = true
				}
			}
			held = rest
		}
		return out
	})
	return ts, tc
}
