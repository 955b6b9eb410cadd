package httpipc

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/appwire/appwire/httpipc/bhttp"
)

// rawPeer drives a Server with hand-made frames over net.Pipe.
type rawPeer struct {
	t    *testing.T
	fr   *Framer
	nc   net.Conn
	errc chan error // ServeConn's result
}

func newRawPeer(t *testing.T, srv *Server, hello *Frame) *rawPeer {
	t.Helper()
	checkLeaks(t)
	if srv.ErrorLog == nil {
		srv.ErrorLog = quietLog(t)
	}
	a, b := net.Pipe()
	p := &rawPeer{t: t, fr: NewFramer(a, a), nc: a, errc: make(chan error, 1)}
	p.fr.SetMaxReadFrameSize(1 << 20)
	p.fr.AllowIllegalWrites = true
	go func() { p.errc <- srv.ServeConn(context.Background(), b) }()
	t.Cleanup(func() { a.Close(); srv.Close() })
	if hello != nil {
		p.write(hello)
		f := p.read()
		if f == nil || f.Type != FrameHello {
			t.Fatalf("server's first frame: %+v", f)
		}
	}
	return p
}

func clientHello(settings ...Setting) *Frame {
	return &Frame{Type: FrameHello, Version: ProtocolVersion, Settings: settings}
}

func (p *rawPeer) write(f *Frame) {
	if err := p.fr.WriteFrame(f); err != nil {
		p.t.Logf("write %v: %v", f.Type, err)
	}
}

func (p *rawPeer) writeRaw(b []byte) { p.nc.Write(b) }

// read returns the next frame, or nil at the end of the connection.
func (p *rawPeer) read() *Frame {
	f, err := p.fr.ReadFrame()
	if err != nil {
		return nil
	}
	return f
}

// goAway reads until a GOAWAY (returned) or the end of the connection.
func (p *rawPeer) goAway() *Frame {
	for {
		f := p.read()
		if f == nil || f.Type == FrameGoAway {
			return f
		}
	}
}

// request encodes a bodiless GET as DATA with END_STREAM.
func requestBytes(t *testing.T, path string) []byte {
	b, err := bhttp.AppendRequest(nil, &bhttp.Request{Indeterminate: true, Method: "GET", Scheme: "http", Authority: "x", Path: path})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHostilePeer: each violation ends the connection with the matching
// sentinel and GOAWAY code, and nothing is left running.
func TestHostilePeer(t *testing.T) {
	tests := []struct {
		name string
		send func(p *rawPeer)
		want error
		code ErrCode
	}{
		{"oversize length", func(p *rawPeer) {
			p.writeRaw(appendHeader(nil, FrameData, 1, 0, 1<<30))
		}, ErrFrameTooLarge, ErrCodeFrameSize},
		{"huge length varint", func(p *rawPeer) {
			p.writeRaw([]byte{0x01, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		}, ErrFrameTooLarge, ErrCodeFrameSize},
		{"DATA on server-parity stream", func(p *rawPeer) {
			p.write(&Frame{Type: FrameData, StreamID: 2, Data: []byte{2}})
		}, ErrStreamID, ErrCodeProtocol},
		{"RESET on idle stream", func(p *rawPeer) {
			p.write(&Frame{Type: FrameReset, StreamID: 9, Code: ErrCodeCancel})
		}, ErrStreamID, ErrCodeProtocol},
		{"CREDIT on idle stream", func(p *rawPeer) {
			p.write(&Frame{Type: FrameCredit, StreamID: 11, Increment: 1})
		}, ErrStreamID, ErrCodeProtocol},
		{"connection credit overflow", func(p *rawPeer) {
			p.write(&Frame{Type: FrameCredit, Increment: bhttp.MaxVarint})
		}, ErrFlowControl, ErrCodeProtocol},
		{"DATA beyond stream credit", func(p *rawPeer) {
			p.write(&Frame{Type: FrameData, StreamID: 1, Data: make([]byte, 1500)})
		}, ErrFlowControl, ErrCodeProtocol},
		{"DATA after END_STREAM", func(p *rawPeer) {
			p.write(&Frame{Type: FrameData, StreamID: 1, Flags: FlagEndStream, Data: requestBytes(p.t, "/")})
			p.write(&Frame{Type: FrameData, StreamID: 1, Data: []byte{0}})
		}, ErrFlowControl, ErrCodeProtocol},
		{"second HELLO", func(p *rawPeer) {
			p.write(clientHello())
		}, ErrHandshake, ErrCodeProtocol},
		{"PING of 3 bytes", func(p *rawPeer) {
			p.write(&Frame{Type: FramePing, Data: []byte{1, 2, 3}})
		}, ErrFramePayload, ErrCodeFrameSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The handler keeps its stream open until the connection ends.
			srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }),
				Options: Options{InitialStreamCredit: 1024}}
			p := newRawPeer(t, srv, clientHello())
			tt.send(p)
			ga := p.goAway()
			if ga == nil || ga.Code != tt.code {
				t.Errorf("GOAWAY %+v, want code %v", ga, tt.code)
			}
			p.nc.Close()
			err := <-p.errc
			if !errors.Is(err, tt.want) {
				t.Errorf("ServeConn: %v, want %v", err, tt.want)
			}
			if code, _ := ErrorCode(err); code != tt.code {
				t.Errorf("ServeConn code %v, want %v", code, tt.code)
			}
		})
	}
}

func TestHostileHandshake(t *testing.T) {
	t.Run("garbage", func(t *testing.T) {
		p := newRawPeer(t, &Server{}, nil)
		go p.writeRaw([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		go io.Copy(io.Discard, p.nc)
		if err := <-p.errc; !errors.Is(err, ErrHandshake) {
			t.Errorf("ServeConn: %v, want ErrHandshake", err)
		}
	})
	t.Run("version 2", func(t *testing.T) {
		p := newRawPeer(t, &Server{}, nil)
		go p.write(&Frame{Type: FrameHello, Version: 2})
		go io.Copy(io.Discard, p.nc)
		if err := <-p.errc; !errors.Is(err, ErrHandshake) {
			t.Errorf("ServeConn: %v, want ErrHandshake", err)
		}
	})
	t.Run("max_frame_size below minimum", func(t *testing.T) {
		p := newRawPeer(t, &Server{}, nil)
		go p.write(clientHello(Setting{SettingMaxFrameSize, 10}))
		go io.Copy(io.Discard, p.nc)
		if err := <-p.errc; !errors.Is(err, ErrHandshake) {
			t.Errorf("ServeConn: %v, want ErrHandshake", err)
		}
	})
}

// TestRefusedStreams: a peer that opens streams and never reads gets
// RESET(REFUSED_STREAM) beyond max_concurrent_streams; the connection
// survives.
func TestRefusedStreams(t *testing.T) {
	block := make(chan struct{})
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }),
		Options: Options{MaxConcurrentStreams: 3}}
	p := newRawPeer(t, srv, clientHello())
	req := requestBytes(t, "/")
	for id := uint64(1); id <= 9; id += 2 {
		p.write(&Frame{Type: FrameData, StreamID: id, Flags: FlagEndStream, Data: req})
	}
	refused := map[uint64]bool{}
	for len(refused) < 2 {
		f := p.read()
		if f == nil {
			t.Fatal("connection closed")
		}
		if f.Type == FrameReset && f.Code == ErrCodeRefusedStream {
			refused[f.StreamID] = true
		}
	}
	if !refused[7] || !refused[9] {
		t.Errorf("refused %v, want streams 7 and 9", refused)
	}
	close(block)
	// The three accepted streams complete.
	ended := 0
	for ended < 3 {
		f := p.read()
		if f == nil {
			t.Fatal("connection closed")
		}
		if f.EndStream() {
			ended++
		}
	}
}

// TestControlFlood: a peer sending PINGs without reading the acks fails
// with ErrControlFlood instead of growing the queue.
func TestControlFlood(t *testing.T) {
	srv := &Server{Options: Options{MaxQueuedControl: 2048}}
	p := newRawPeer(t, srv, clientHello())
	ping := AppendRawFrame(nil, FramePing, 0, 0, make([]byte, 8))
	go func() {
		for i := 0; i < 10000; i++ {
			if _, err := p.nc.Write(ping); err != nil {
				return
			}
		}
	}()
	err := <-p.errc
	if !errors.Is(err, ErrControlFlood) {
		t.Errorf("ServeConn: %v, want ErrControlFlood", err)
	}
}

// TestFlowControlBoundsProducer: with 1024 bytes of stream credit, the
// server sends exactly 1024 bytes and the handler's Write blocks until
// CREDIT arrives.
func TestFlowControlBoundsProducer(t *testing.T) {
	wrote := make(chan struct{})
	const size = 64 << 10
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, size))
		close(wrote)
	})}
	p := newRawPeer(t, srv, clientHello(Setting{SettingInitialStreamCredit, 1024}))
	p.write(&Frame{Type: FrameData, StreamID: 1, Flags: FlagEndStream, Data: requestBytes(t, "/")})
	var got []byte
	for len(got) < 1024 {
		f := p.read()
		if f == nil {
			t.Fatal("connection closed")
		}
		if f.Type == FrameData {
			got = append(got, f.Data...)
		}
	}
	if len(got) != 1024 {
		t.Fatalf("received %d bytes with 1024 bytes of credit", len(got))
	}
	// A PING round trip: anything the server queued before the ack has
	// arrived, and it is no DATA.
	p.write(&Frame{Type: FramePing, Data: []byte("12345678")})
	for {
		f := p.read()
		if f == nil {
			t.Fatal("connection closed")
		}
		if f.Type == FrameData {
			t.Fatalf("DATA beyond credit: %d more bytes", len(f.Data))
		}
		if f.Type == FramePing && f.Flags&FlagAck != 0 {
			break
		}
	}
	select {
	case <-wrote:
		t.Fatal("handler's Write returned without credit")
	default:
	}
	p.write(&Frame{Type: FrameCredit, StreamID: 1, Increment: 1 << 20})
	for {
		f := p.read()
		if f == nil {
			t.Fatal("connection closed")
		}
		if f.Type == FrameData {
			got = append(got, f.Data...)
			if f.EndStream() {
				break
			}
		}
	}
	<-wrote
	resp, err := bhttp.DecodeResponse(got, bhttp.Limits{})
	if err != nil || resp.Status != 200 || len(resp.Body) != size {
		t.Fatalf("response: %v, %d body bytes", err, len(resp.Body))
	}
}

// TestClientHostileServer: a server breaking the frame rules fails the
// client's open request with ErrPeerGone and a PROTOCOL connection error.
func TestClientHostileServer(t *testing.T) {
	checkLeaks(t)
	a, b := net.Pipe()
	tr := &Transport{DialStream: func(context.Context) (io.ReadWriteCloser, error) { return a, nil }}
	defer tr.Close()
	go func() {
		fr := NewFramer(b, b)
		fr.AllowIllegalWrites = true
		fr.WriteFrame(clientHello())
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			if f.Type == FrameData {
				fr.WriteFrame(&Frame{Type: FrameData, StreamID: 2, Data: []byte{1}}) // even: server-initiated
			}
		}
	}()
	defer b.Close()
	_, err := (&http.Client{Transport: tr}).Get("http://ipc.localhost/")
	if !errors.Is(err, ErrPeerGone) || !errors.Is(err, ErrStreamID) {
		t.Fatalf("Get: %v, want ErrPeerGone and ErrStreamID", err)
	}
}
