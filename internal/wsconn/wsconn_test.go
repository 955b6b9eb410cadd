package wsconn_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
	"github.com/gobwas/ws"
)

// echoServer upgrades with protocol "echo" and echoes every message until
// the peer closes; it reports the server side read error on errc.
func echoServer(t *testing.T, limit int64) (*httptest.Server, chan error) {
	t.Helper()
	errc := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/deny" {
			w.Header().Set("Sec-WebSocket-Version", "13")
			w.WriteHeader(http.StatusUpgradeRequired)
			return
		}
		c, err := wsconn.Upgrade(w, r, wsconn.UpgradeOptions{Protocol: "echo", ReadLimit: limit,
			Header: http.Header{"X-Test": {"yes"}}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		go func() {
			defer c.CloseNow()
			var buf []byte
			for {
				op, msg, err := c.ReadMessage(context.Background(), buf[:0])
				if err != nil {
					errc <- err
					return
				}
				buf = msg
				if err := c.WriteMessage(context.Background(), op, msg); err != nil {
					errc <- err
					return
				}
			}
		}()
	}))
	t.Cleanup(srv.Close)
	return srv, errc
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestEchoAndClose(t *testing.T) {
	srv, errc := echoServer(t, 0)
	ctx := ctxT(t)
	c, err := wsconn.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/", wsconn.DialOptions{Protocols: []string{"other", "echo"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Protocol() != "echo" || c.HandshakeHeader().Get("X-Test") != "yes" {
		t.Fatalf("protocol %q header %v", c.Protocol(), c.HandshakeHeader())
	}
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 200000} {
		msg := bytes.Repeat([]byte("a"), n)
		if err := c.WriteText(ctx, msg); err != nil {
			t.Fatal(err)
		}
		op, got, err := c.ReadMessage(ctx, nil)
		if err != nil || op != wsconn.Text || !bytes.Equal(got, msg) {
			t.Fatalf("len %d: op %v err %v got %d bytes", n, op, err, len(got))
		}
	}
	if err := c.Close(ctx, wsconn.StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}
	if code := wsconn.CloseStatus(<-errc); code != 1000 {
		t.Fatalf("server saw close code %d", code)
	}
}

func TestMessageTooBig(t *testing.T) {
	srv, errc := echoServer(t, 10)
	ctx := ctxT(t)
	c, err := wsconn.Dial(ctx, srv.URL, wsconn.DialOptions{Protocols: []string{"echo"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.WriteText(ctx, []byte("0123456789A")); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, wsconn.ErrMessageTooBig) {
		t.Fatalf("server error %v, want ErrMessageTooBig", err)
	}
	_, _, err = c.ReadMessage(ctx, nil)
	if code := wsconn.CloseStatus(err); code != 1009 {
		t.Fatalf("client got %v, want close 1009", err)
	}
}

func TestFragmentedLimitCountsEveryFragment(t *testing.T) {
	srv, errc := echoServer(t, 10)
	ctx := ctxT(t)
	c, err := wsconn.Dial(ctx, srv.URL, wsconn.DialOptions{Protocols: []string{"echo"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	var raw []byte
	for i, op := range []ws.OpCode{ws.OpText, ws.OpContinuation} {
		f := ws.MaskFrame(ws.NewFrame(op, i == 1, []byte("012345")))
		b, _ := ws.CompileFrame(f)
		raw = append(raw, b...)
	}
	if err := c.WriteRaw(ctx, raw); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, wsconn.ErrMessageTooBig) {
		t.Fatalf("server error %v, want ErrMessageTooBig", err)
	}
}

func TestUnmaskedClientFrameIsProtocolError(t *testing.T) {
	srv, errc := echoServer(t, 0)
	ctx := ctxT(t)
	c, err := wsconn.Dial(ctx, srv.URL, wsconn.DialOptions{Protocols: []string{"echo"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	b, _ := ws.CompileFrame(ws.NewTextFrame([]byte("x")))
	if err := c.WriteRaw(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, wsconn.ErrProtocol) {
		t.Fatalf("server error %v, want ErrProtocol", err)
	}
	if _, _, err := c.ReadMessage(ctx, nil); wsconn.CloseStatus(err) != 1002 {
		t.Fatalf("client got %v, want close 1002", err)
	}
}

func TestPingIsAnswered(t *testing.T) {
	srv, _ := echoServer(t, 0)
	ctx := ctxT(t)
	c, err := wsconn.Dial(ctx, srv.URL, wsconn.DialOptions{Protocols: []string{"echo"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	b, _ := ws.CompileFrame(ws.MaskFrame(ws.NewPingFrame([]byte("hi"))))
	if err := c.WriteRaw(ctx, b); err != nil {
		t.Fatal(err)
	}
	// Read the raw pong from the wire.
	nc := c.NetConn()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	h, err := ws.ReadHeader(nc)
	if err != nil || h.OpCode != ws.OpPong || h.Length != 2 {
		t.Fatalf("got %+v %v, want a 2-byte pong", h, err)
	}
	p := make([]byte, 2)
	if _, err := io.ReadFull(nc, p); err != nil || string(p) != "hi" {
		t.Fatalf("pong payload %q %v", p, err)
	}
}

func TestHandshakeErrorCarriesStatus(t *testing.T) {
	srv, _ := echoServer(t, 0)
	_, err := wsconn.Dial(ctxT(t), srv.URL+"/deny", wsconn.DialOptions{})
	var he *wsconn.HandshakeError
	if !errors.As(err, &he) || he.StatusCode != 426 || he.Header.Get("Sec-WebSocket-Version") != "13" {
		t.Fatalf("got %v", err)
	}
	if !errors.Is(err, wsconn.ErrHandshake) || wsconn.HandshakeStatus(err) != 426 {
		t.Fatal("errors.Is / HandshakeStatus do not see the handshake error")
	}
}

func TestUnofferedProtocol(t *testing.T) {
	srv, _ := echoServer(t, 0)
	ctx := ctxT(t)
	if _, err := wsconn.Dial(ctx, srv.URL, wsconn.DialOptions{}); wsconn.HandshakeStatus(err) != 101 {
		t.Fatalf("strict dial: got %v, want a 101 handshake error", err)
	}
	c, err := wsconn.Dial(ctx, srv.URL, wsconn.DialOptions{AllowUnofferedProtocol: true})
	if err != nil || c.Protocol() != "echo" {
		t.Fatalf("lenient dial: %v", err)
	}
	c.CloseNow()
}

func TestReadHonoursContext(t *testing.T) {
	srv, _ := echoServer(t, 0)
	c, err := wsconn.Dial(ctxT(t), srv.URL, wsconn.DialOptions{Protocols: []string{"echo"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.ReadMessage(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if _, _, err := c.ReadMessage(context.Background(), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("the read error is not sticky: %v", err)
	}
}

func TestUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Skip("no unix sockets:", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := wsconn.Upgrade(w, r, wsconn.UpgradeOptions{})
		if err != nil {
			return
		}
		go func() {
			defer c.CloseNow()
			_, msg, err := c.ReadMessage(context.Background(), nil)
			if err == nil {
				c.WriteText(context.Background(), append(msg, '!'))
			}
			c.ReadMessage(context.Background(), nil)
		}()
	}))
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	ctx := ctxT(t)
	c, err := wsconn.Dial(ctx, "ws://unix/", wsconn.DialOptions{NetDial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteText(ctx, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.ReadMessage(ctx, nil); err != nil || string(msg) != "hi!" {
		t.Fatalf("got %q %v", msg, err)
	}
	c.Close(ctx, wsconn.StatusNormalClosure, "")
}

func TestProtocolsSplit(t *testing.T) {
	h := http.Header{"Sec-Websocket-Protocol": {"a, b\tc", ",d"}}
	got := strings.Join(wsconn.Protocols(h), "|")
	if got != "a|b|c|d" {
		t.Fatalf("got %q", got)
	}
}

func TestReadAfterPeerVanishes(t *testing.T) {
	// An abrupt EOF is not a clean close.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := wsconn.Upgrade(w, r, wsconn.UpgradeOptions{})
		if err == nil {
			c.CloseNow()
		}
	}))
	defer srv.Close()
	ctx := ctxT(t)
	c, err := wsconn.Dial(ctx, srv.URL, wsconn.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, _, err := c.ReadMessage(ctx, nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
	}
}
