package conformancetest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/appwire/appwire/internal/testserver"
	"github.com/gobwas/ws"
)

// Direction says which way a frame travels through a FrameProxy.
type Direction int

// Directions.
const (
	ToServer Direction = iota + 1
	ToClient
)

func (d Direction) String() string {
	if d == ToServer {
		return "to-server"
	}
	return "to-client"
}

// FrameProxy sits between a client and a WebSocket server and lets a
// mutant change what crosses it. HTTP requests and responses are relayed
// one by one; after a 101 response the proxy relays WebSocket frames,
// passing each to Frame.
type FrameProxy struct {
	// Backend is the server's host:port.
	Backend string
	// Request, when set, may change each HTTP request (including an
	// upgrade request) before it is forwarded.
	Request func(r *http.Request)
	// Response, when set, may change each HTTP response (including a
	// 101) before it is relayed.
	Response func(r *http.Request, resp *http.Response)
	// Frame, when set, gets every frame after a 101 with its payload
	// unmasked, and returns the frames to forward in its place (none drops
	// it). Frames to the server are masked again by the proxy.
	Frame func(d Direction, f ws.Frame) []ws.Frame
	// PerConn, when set, is called once per WebSocket connection and
	// returns that connection's frame hook, for mutants that keep state
	// per connection. It takes precedence over Frame.
	PerConn func() func(d Direction, f ws.Frame) []ws.Frame
}

// TextFrames adapts a function of text message payloads to
// FrameProxy.Frame: each returned payload goes out as a text frame; other
// frames pass unchanged. It assumes unfragmented messages.
func TextFrames(edit func(d Direction, p []byte) [][]byte) func(Direction, ws.Frame) []ws.Frame {
	return func(d Direction, f ws.Frame) []ws.Frame {
		if f.Header.OpCode != ws.OpText || !f.Header.Fin {
			return []ws.Frame{f}
		}
		var out []ws.Frame
		for _, p := range edit(d, f.Payload) {
			out = append(out, ws.NewTextFrame(p))
		}
		return out
	}
}

// StartFrameProxy listens on a free loopback port, relays to p.Backend and
// returns the proxy's address. Everything is closed when the test ends.
func StartFrameProxy(t testing.TB, p FrameProxy) string {
	t.Helper()
	ln := testserver.Listen(t, "tcp")
	s := testserver.Track(t, ln)
	s.Accept(func(c net.Conn) {
		b, err := net.Dial("tcp", p.Backend)
		if err != nil || !s.Add(b) {
			return
		}
		defer b.Close()
		p.serve(c, b)
	})
	return ln.Addr().String()
}

// serve relays HTTP exchanges between client c and backend b until one
// side closes or a 101 switches to frames.
func (p *FrameProxy) serve(c, b net.Conn) {
	cr, br := bufio.NewReader(c), bufio.NewReader(b)
	for {
		req, err := http.ReadRequest(cr)
		if err != nil {
			return
		}
		if p.Request != nil {
			p.Request(req)
		}
		if err := req.Write(b); err != nil {
			return
		}
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return
		}
		if p.Response != nil {
			p.Response(req, resp)
		}
		err = resp.Write(c)
		resp.Body.Close()
		if err != nil {
			return
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			p.frames(c, cr, b, br)
			return
		}
		if resp.Close || req.Close {
			return
		}
	}
}

// frames pumps WebSocket frames both ways until either side ends.
func (p *FrameProxy) frames(c net.Conn, cr *bufio.Reader, b net.Conn, br *bufio.Reader) {
	hook := p.Frame
	if p.PerConn != nil {
		hook = p.PerConn()
	}
	var mu sync.Mutex // one hook call at a time: hooks may share state across directions
	done := make(chan struct{}, 2)
	pump := func(d Direction, r io.Reader, w net.Conn) {
		defer func() { done <- struct{}{} }()
		for {
			f, err := readFrame(r)
			if err != nil {
				return
			}
			if f.Header.Masked {
				ws.Cipher(f.Payload, f.Header.Mask, 0)
				f.Header.Masked = false
			}
			out := []ws.Frame{f}
			if hook != nil {
				mu.Lock()
				out = hook(d, f)
				mu.Unlock()
			}
			for _, o := range out {
				if d == ToServer {
					o.Payload = append([]byte(nil), o.Payload...)
					o = ws.MaskFrameInPlace(o)
				}
				if err := ws.WriteFrame(w, o); err != nil {
					return
				}
			}
		}
	}
	go pump(ToServer, cr, b)
	go pump(ToClient, br, c)
	<-done
	c.Close()
	b.Close()
	<-done
}

// maxFrame bounds a frame the proxy relays.
const maxFrame = 1 << 20

// readFrame reads one frame of at most maxFrame payload bytes.
func readFrame(r io.Reader) (ws.Frame, error) {
	h, err := ws.ReadHeader(r)
	if err != nil {
		return ws.Frame{}, err
	}
	if h.Length > maxFrame {
		return ws.Frame{}, errFrameTooLarge
	}
	f := ws.Frame{Header: h, Payload: make([]byte, h.Length)}
	_, err = io.ReadFull(r, f.Payload)
	return f, err
}

var errFrameTooLarge = errors.New("conformancetest: proxied frame too large")
