package fuzz

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/appwire/appwire/httpipc"
	"github.com/appwire/appwire/httpipc/bhttp"
)

// HTTPIPCOptions configures HTTPIPC.
type HTTPIPCOptions struct {
	Options
	// Command, when set, is a shell command (run with sh -c) that serves
	// httpipc on its stdin and stdout; every input and every probe starts
	// its own process and kills it when done. The target is then only a
	// label.
	Command string
}

// HTTPIPC fuzzes the httpipc server at target ("unix:///path/to.sock", a
// socket path, or "tcp://HOST:PORT"; or a command's stdio, see
// HTTPIPCOptions.Command) at the frame level, for opts.Duration or
// opts.MaxInputs inputs. Every input is a fresh connection: the client
// HELLO and a sequence of frames, valid or broken on purpose
// (docs/protocols/httpipc.md section 3.2), or mutated at the byte level.
//
// What is checked: every frame the server sends parses and fits the
// max_frame_size the fuzzer announced, and the first is HELLO; a valid
// request is answered on its stream with a Binary HTTP response ending
// in END_STREAM; a PING is answered with a PING ACK carrying the same
// bytes; each connection error of section 3.2 (a first frame that is not
// HELLO, a second HELLO, another version, a repeated setting, a tiny
// max_frame_size, DATA on stream 0 or an even stream, a frame over the
// server's max_frame_size, a PING of another length, a frame on a stream
// never opened) ends the connection without serving anything on it (and
// a GOAWAY, when sent, carries an error code). After every batch a fresh
// connection must get a response to GET /.
func HTTPIPC(ctx context.Context, target string, opts HTTPIPCOptions) (Report, error) {
	opts.Options = opts.Options.withDefaults()
	h := &ipcRunner{opts: opts, target: target}
	if err := h.parseTarget(); err != nil {
		return Report{Target: target, Seed: opts.Seed}, err
	}
	return run(ctx, target, opts.Options, h)
}

// ipcRunner is one run of HTTPIPC.
type ipcRunner struct {
	opts          HTTPIPCOptions
	target        string
	network, addr string
}

func (h *ipcRunner) parseTarget() error {
	if strings.TrimSpace(h.opts.Command) != "" {
		return nil
	}
	raw := h.target
	if strings.HasPrefix(raw, "/") {
		h.network, h.addr = "unix", raw
		return nil
	}
	u, err := url.Parse(raw)
	if err == nil {
		switch {
		case u.Scheme == "unix" && u.Host+u.Path != "":
			h.network, h.addr = "unix", u.Host+u.Path
			return nil
		case u.Scheme == "tcp" && u.Host != "":
			h.network, h.addr = "tcp", u.Host
			return nil
		}
	}
	return fmt.Errorf("fuzz: bad target %q: want unix:///path/to.sock, a socket path, tcp://HOST:PORT, or --command", raw)
}

// dial opens one connection: a socket, or a fresh process.
func (h *ipcRunner) dial(ctx context.Context) (io.ReadWriteCloser, error) {
	if h.opts.Command != "" {
		return startProcess(h.opts.Command)
	}
	var d net.Dialer
	return d.DialContext(ctx, h.network, h.addr)
}

func (h *ipcRunner) probeRule() string {
	return "a fresh connection gets a response to GET /"
}

func (h *ipcRunner) probe(ctx context.Context) error {
	tr := &httpipc.Transport{DialStream: h.dial}
	defer tr.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+httpipc.DefaultHost+"/", nil)
	if err != nil {
		return err
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return err
}

// process is a command's stdio as one connection.
type process struct {
	cmd  *exec.Cmd
	r    io.ReadCloser
	w    io.WriteCloser
	once sync.Once
}

func startProcess(command string) (*process, error) {
	cmd := exec.Command("sh", "-c", command)
	w, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	r, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %q: %w", command, err)
	}
	return &process{cmd: cmd, r: r, w: w}, nil
}

func (p *process) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p *process) Write(b []byte) (int, error) { return p.w.Write(b) }

func (p *process) Close() error {
	p.once.Do(func() {
		p.w.Close()
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	})
	return nil
}

// ipcExpect is what the server must do with an input.
type ipcExpect uint8

const (
	ipcNothing  ipcExpect = iota // stay up; every frame well-formed
	ipcResponse                  // a response on stream 1, ending with END_STREAM
	ipcPingAck                   // a PING ACK with the same 8 bytes
	ipcConnErr                   // the connection ends; nothing served
)

var ipcExpectText = [...]string{
	ipcNothing:  "nothing (stay up, send only well-formed frames)",
	ipcResponse: "a response on stream 1 ending with END_STREAM",
	ipcPingAck:  "a PING ACK with the same 8 bytes",
	ipcConnErr:  "the connection closed (GOAWAY with an error code), nothing served",
}

var ipcRules = [...]string{
	ipcNothing:  "httpipc §3.2: the server sends well-formed frames no longer than the max_frame_size the client announced, HELLO first",
	ipcResponse: "httpipc §3.2.2, §3.3: a request is answered on its stream with a Binary HTTP response ending with END_STREAM",
	ipcPingAck:  "httpipc §3.2.4: a PING is answered with a PING ACK carrying the same 8 bytes",
	ipcConnErr:  "httpipc §3.2.1, §3.2.2, §3.2.4: a connection error closes the connection and serves nothing from it",
}

// ipcInput is a generated frame-level input.
type ipcInput struct {
	Input
	expect ipcExpect
	ping   []byte // ipcPingAck: the PING data
}

// clientMaxFrame is the max_frame_size the fuzzer's HELLO announces.
const clientMaxFrame = 16384

// appendReqFrames appends a GET request on stream id, split into one to
// three DATA frames, the last with END_STREAM.
func appendReqFrames(dst []byte, rng *rand.Rand, id uint64, path string) []byte {
	msg, _ := bhttp.AppendRequest(nil, &bhttp.Request{Method: "GET", Scheme: "http", Authority: httpipc.DefaultHost, Path: path})
	parts := 1 + rng.Intn(3)
	for i := 0; i < parts; i++ {
		lo, hi := len(msg)*i/parts, len(msg)*(i+1)/parts
		var fl httpipc.Flags
		if i == parts-1 {
			fl = httpipc.FlagEndStream
		}
		dst = httpipc.AppendRawFrame(dst, httpipc.FrameData, id, fl, msg[lo:hi])
	}
	return dst
}

func appendHello(dst []byte, version uint64, settings ...uint64) []byte {
	p := bhttp.AppendVarint(nil, version)
	for _, s := range settings {
		p = bhttp.AppendVarint(p, s)
	}
	return httpipc.AppendRawFrame(dst, httpipc.FrameHello, 0, 0, p)
}

// ipcKinds are the inputs the generator draws from.
var ipcKinds = []struct {
	name    string
	expect  ipcExpect
	gen     func(rng *rand.Rand) []byte // the frames after the client's HELLO, or the whole input when it replaces the HELLO
	noHELLO bool                        // gen writes its own first frame
}{
	{"request", ipcResponse, func(rng *rand.Rand) []byte {
		var b []byte
		if rng.Intn(2) == 0 { // frames of unknown types are ignored (§3.2.2)
			b = httpipc.AppendRawFrame(b, httpipc.FrameType(0x21+rng.Intn(100)), uint64(rng.Intn(3)), 0, []byte("x"))
		}
		if rng.Intn(2) == 0 {
			b = httpipc.AppendRawFrame(b, httpipc.FrameCredit, 0, 0, bhttp.AppendVarint(nil, uint64(1+rng.Intn(1<<20))))
		}
		return appendReqFrames(b, rng, 1, []string{"/", "/echo", "/x?y=1", "/%00", "/" + strings.Repeat("a", 2000)}[rng.Intn(5)])
	}, false},
	{"ping", ipcPingAck, func(rng *rand.Rand) []byte {
		var d [8]byte
		rng.Read(d[:])
		return httpipc.AppendRawFrame(nil, httpipc.FramePing, 0, 0, d[:])
	}, false},
	{"first-not-hello", ipcConnErr, func(rng *rand.Rand) []byte {
		return appendReqFrames(nil, rng, 1, "/")
	}, true},
	{"second-hello", ipcConnErr, func(rng *rand.Rand) []byte {
		return appendReqFrames(appendHello(nil, 1), rng, 1, "/")
	}, false},
	{"bad-version", ipcConnErr, func(rng *rand.Rand) []byte {
		return appendReqFrames(appendHello(nil, uint64(2+rng.Intn(1000))), rng, 1, "/")
	}, true},
	{"repeated-setting", ipcConnErr, func(rng *rand.Rand) []byte {
		id := uint64(1 + rng.Intn(5))
		return appendReqFrames(appendHello(nil, 1, id, 20000, id, 20000), rng, 1, "/")
	}, true},
	{"tiny-max-frame", ipcConnErr, func(rng *rand.Rand) []byte {
		return appendReqFrames(appendHello(nil, 1, 1, uint64(rng.Intn(1024))), rng, 1, "/")
	}, true},
	{"data-stream-0", ipcConnErr, func(rng *rand.Rand) []byte {
		return appendReqFrames(nil, rng, 0, "/")
	}, false},
	{"data-even-stream", ipcConnErr, func(rng *rand.Rand) []byte {
		return appendReqFrames(nil, rng, uint64(2+2*rng.Intn(100)), "/")
	}, false},
	{"oversized-frame", ipcConnErr, func(rng *rand.Rand) []byte {
		// Over the server's default max_frame_size (16 KiB); a server
		// announcing more makes this a valid frame, judged only as data.
		return httpipc.AppendRawFrame(nil, httpipc.FrameData, 1, 0, make([]byte, 1<<20+rng.Intn(1000)))
	}, false},
	{"ping-length", ipcConnErr, func(rng *rand.Rand) []byte {
		n := rng.Intn(20)
		if n == 8 {
			n = 9
		}
		return appendReqFrames(httpipc.AppendRawFrame(nil, httpipc.FramePing, 0, 0, make([]byte, n)), rng, 1, "/")
	}, false},
	{"never-opened", ipcConnErr, func(rng *rand.Rand) []byte {
		id := uint64(101 + 2*rng.Intn(100))
		f := httpipc.AppendRawFrame(nil, httpipc.FrameCredit, id, 0, bhttp.AppendVarint(nil, 100))
		return appendReqFrames(f, rng, 1, "/")
	}, false},
	{"byte-mutation", ipcNothing, func(rng *rand.Rand) []byte {
		b := appendReqFrames(nil, rng, 1, "/")
		b = httpipc.AppendRawFrame(b, httpipc.FramePing, 0, 0, make([]byte, 8))
		for n := 1 + rng.Intn(4); n > 0; n-- {
			switch rng.Intn(3) {
			case 0:
				b[rng.Intn(len(b))] ^= byte(1 << rng.Intn(8))
			case 1:
				b = b[:rng.Intn(len(b))]
			default:
				b = insertAt(rng, b, bhttp.AppendVarint(nil, uint64(rng.Int63n(1<<62))))
			}
			if len(b) == 0 {
				break
			}
		}
		return b
	}, false},
	{"random-frames", ipcNothing, func(rng *rand.Rand) []byte {
		var b []byte
		for n := 1 + rng.Intn(6); n > 0; n-- {
			p := make([]byte, rng.Intn(40))
			rng.Read(p)
			b = httpipc.AppendRawFrame(b, httpipc.FrameType(rng.Intn(8)), uint64(rng.Intn(6)), httpipc.Flags(rng.Intn(4)), p)
		}
		return b
	}, false},
}

// genIPC generates input index.
func genIPC(seed int64, index int) *ipcInput {
	rng := rngFor(seed, index)
	k := ipcKinds[rng.Intn(len(ipcKinds))]
	frames := k.gen(rng)
	in := &ipcInput{Input: Input{Index: index, Transport: "frame", Mutation: k.name, Message: frames}, expect: k.expect}
	if k.expect == ipcPingAck {
		in.ping = frames[len(frames)-8:]
	}
	if k.noHELLO {
		in.Wire = frames
	} else {
		in.Wire = append(appendHello(nil, 1, uint64(httpipc.SettingMaxFrameSize), clientMaxFrame), frames...)
	}
	in.Expect = ipcExpectText[in.expect]
	return in
}

// input sends input i on a fresh connection and judges the frames that
// come back.
func (h *ipcRunner) input(ctx context.Context, i int) (string, *Violation) {
	return "frame", h.runIPC(ctx, genIPC(h.opts.Seed, i))
}

func (h *ipcRunner) runIPC(ctx context.Context, in *ipcInput) *Violation {
	ictx, cancel := context.WithTimeout(ctx, h.opts.InputTimeout)
	defer cancel()
	rwc, err := h.dial(ictx)
	if err != nil {
		return nil // the liveness probe judges
	}
	defer rwc.Close()
	stop := context.AfterFunc(ictx, func() { rwc.Close() })
	defer stop()
	if nc, ok := rwc.(net.Conn); ok {
		dl, _ := ictx.Deadline()
		_ = nc.SetDeadline(dl)
	}
	// Write in the background: a server that reads nothing more after a
	// connection error must not block the judging of what it sent.
	// After an input that mandates nothing, the write side is closed so
	// that a server waiting for the rest of a broken frame sees the end at
	// once rather than at the input timeout.
	go func() {
		if _, err := rwc.Write(in.Wire); err == nil && in.expect == ipcNothing {
			closeWrite(rwc)
		}
	}()
	fr := httpipc.NewFramer(io.Discard, bufio.NewReader(rwc))
	fr.SetMaxReadFrameSize(clientMaxFrame)
	violation := func(exp ipcExpect, got string) *Violation {
		return &Violation{Level: Must, Rule: ipcRules[exp], Got: got, Input: &in.Input}
	}
	var body bytes.Buffer
	for n := 0; ; n++ {
		f, err := fr.ReadFrame()
		if err != nil {
			if runOver(ctx) {
				return nil
			}
			timedOut := ictx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded)
			switch {
			case errors.Is(err, httpipc.ErrFrameTooLarge):
				return violation(ipcNothing, fmt.Sprintf("a %s frame of %d bytes, over the %d announced", f.Type, len(f.Data), clientMaxFrame))
			case !timedOut && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isConnReset(err):
				return violation(ipcNothing, "a malformed frame: "+err.Error())
			case in.expect == ipcNothing:
				return nil
			case in.expect == ipcConnErr && !timedOut:
				return nil
			case timedOut:
				return violation(in.expect, fmt.Sprintf("nothing more within %s", h.opts.InputTimeout))
			}
			return violation(in.expect, "the connection ended ("+err.Error()+")")
		}
		if n == 0 && f.Type != httpipc.FrameHello {
			return violation(ipcNothing, "a first frame "+f.Type.String()+", not HELLO")
		}
		switch {
		case f.Type == httpipc.FrameGoAway && in.expect == ipcConnErr && f.Code == httpipc.ErrCodeNo:
			return &Violation{Level: Should, Rule: ipcRules[ipcConnErr], Got: "GOAWAY(NO_ERROR) rather than an error code", Input: &in.Input}
		case f.Type == httpipc.FrameData && in.expect == ipcConnErr:
			return violation(ipcConnErr, fmt.Sprintf("DATA served on stream %d", f.StreamID))
		case f.Type == httpipc.FramePing && f.Flags&httpipc.FlagAck != 0 && in.expect == ipcPingAck:
			if !bytes.Equal(f.Data, in.ping) {
				return violation(ipcPingAck, fmt.Sprintf("PING ACK with %x, sent %x", f.Data, in.ping))
			}
			return nil
		case f.Type == httpipc.FrameData && f.StreamID == 1 && in.expect == ipcResponse:
			body.Write(f.Data)
			if body.Len() > 1<<20 {
				return nil // a long response is a response
			}
			if f.EndStream() {
				if _, err := bhttp.DecodeResponse(body.Bytes(), bhttp.Limits{}); err != nil {
					return violation(ipcResponse, "a response that does not decode: "+err.Error())
				}
				return nil
			}
		case f.Type == httpipc.FrameReset && f.StreamID == 1 && in.expect == ipcResponse:
			return violation(ipcResponse, fmt.Sprintf("RESET(%s) of the request: %q", f.Code, f.Reason))
		case f.Type == httpipc.FrameGoAway && in.expect == ipcResponse && f.Code != httpipc.ErrCodeNo:
			return violation(ipcResponse, fmt.Sprintf("GOAWAY(%s): %q", f.Code, f.Reason))
		}
	}
}

// isConnReset reports an error of a peer that closed with unread data
// (ECONNRESET, EPIPE): how a connection error often ends.
func isConnReset(err error) bool {
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe") || strings.Contains(s, "file already closed")
}

// closeWrite ends the write side of a connection, keeping the read side.
func closeWrite(rwc io.ReadWriteCloser) {
	switch c := rwc.(type) {
	case interface{ CloseWrite() error }:
		_ = c.CloseWrite()
	case *process:
		_ = c.w.Close()
	}
}
