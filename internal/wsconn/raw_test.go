package wsconn_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/appwire/appwire/internal/wsconn"
	"github.com/gobwas/ws"
)

// rawEcho serves UpgradeRaw connections that echo one text message with
// AppendFrame, reading the early bytes first.
func rawEcho(t *testing.T, early chan<- int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nc, pre, err := wsconn.UpgradeRaw(w, r, wsconn.UpgradeOptions{})
		if err != nil {
			t.Error(err)
			return
		}
		early <- len(pre)
		go func() {
			defer nc.Close()
			br := bufio.NewReader(io.MultiReader(bytes.NewReader(pre), nc))
			h, err := ws.ReadHeader(br)
			if err != nil || !h.Masked || h.OpCode != ws.OpText {
				t.Errorf("header %+v %v", h, err)
				return
			}
			p := make([]byte, h.Length)
			if _, err := io.ReadFull(br, p); err != nil {
				t.Error(err)
				return
			}
			ws.Cipher(p, h.Mask, 0)
			_, _ = nc.Write(wsconn.AppendFrame(nil, wsconn.Text, p, false))
		}()
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestUpgradeRaw(t *testing.T) {
	early := make(chan int, 1)
	srv := rawEcho(t, early)
	ctx := context.Background()
	c, err := wsconn.Dial(ctx, srv.URL, wsconn.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if n := <-early; n != 0 {
		t.Fatalf("early bytes %d", n)
	}
	if err := c.WriteText(ctx, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.ReadMessage(ctx, nil); err != nil || string(msg) != "hello" {
		t.Fatalf("%q %v", msg, err)
	}
}

// TestUpgradeRawEarlyBytes: a frame sent in the same write as the
// handshake comes back from UpgradeRaw, not lost with the HTTP buffers.
func TestUpgradeRawEarlyBytes(t *testing.T) {
	early := make(chan int, 1)
	srv := rawEcho(t, early)
	nc, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	frame := wsconn.AppendFrame(nil, wsconn.Text, []byte("early"), true)
	if _, err := nc.Write(append([]byte(req), frame...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("%v %v", resp, err)
	}
	if n := <-early; n != len(frame) {
		t.Fatalf("early bytes %d, want %d", n, len(frame))
	}
	h, err := ws.ReadHeader(br)
	if err != nil || h.Masked {
		t.Fatalf("%+v %v", h, err)
	}
	p := make([]byte, h.Length)
	_, _ = io.ReadFull(br, p)
	if string(p) != "early" {
		t.Fatalf("echo %q", p)
	}
}

func TestAppendFrame(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536} {
		p := []byte(strings.Repeat("x", n))
		for _, masked := range []bool{false, true} {
			b := wsconn.AppendFrame([]byte("pre"), wsconn.Binary, p, masked)
			if string(b[:3]) != "pre" {
				t.Fatal("prefix lost")
			}
			br := bufio.NewReader(bytes.NewReader(b[3:]))
			h, err := ws.ReadHeader(br)
			if err != nil || !h.Fin || h.OpCode != ws.OpBinary || h.Length != int64(n) || h.Masked != masked {
				t.Fatalf("n=%d masked=%v: %+v %v", n, masked, h, err)
			}
			got, _ := io.ReadAll(br)
			if masked {
				ws.Cipher(got, h.Mask, 0)
			}
			if !bytes.Equal(got, p) {
				t.Fatalf("n=%d masked=%v: payload differs", n, masked)
			}
		}
	}
}
