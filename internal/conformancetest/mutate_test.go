package conformancetest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
	"github.com/gobwas/ws"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// echo answers "/text" with a body and upgrades anything else, echoing
// messages with a "!" appended.
func echo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/text" {
			w.Header().Set("X-A", "1")
			w.Header()["Content-Type"] = nil
			io.WriteString(w, "hello "+r.Header.Get("X-In"))
			return
		}
		c, err := wsconn.Upgrade(w, r, wsconn.UpgradeOptions{})
		if err != nil {
			http.Error(w, "no", http.StatusBadRequest)
			return
		}
		go func() {
			defer c.CloseNow()
			for {
				_, msg, err := c.ReadMessage(context.Background(), nil)
				if err != nil {
					return
				}
				if c.WriteText(context.Background(), append(msg, '!')) != nil {
					return
				}
			}
		}()
	})
}

func TestRewriteResponses(t *testing.T) {
	h := RewriteRequests(echo(), func(r *http.Request) { r.Header.Set("X-In", "in") })
	h = RewriteResponses(h, func(r *http.Request, resp *Response) {
		resp.Status = http.StatusTeapot
		resp.Body = bytes.ToUpper(resp.Body)
		resp.Header.Set("X-B", "2")
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/text")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot || string(b) != "HELLO IN" || resp.Header.Get("X-A") != "1" ||
		resp.Header.Get("X-B") != "2" || resp.Header.Get("Content-Type") != "" {
		t.Fatalf("got %d %q %v", resp.StatusCode, b, resp.Header)
	}
	// An upgrade is hijacked through the wrapper.
	ctx := ctxT(t)
	c, err := wsconn.Dial(ctx, srv.URL+"/ws", wsconn.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.WriteText(ctx, []byte("x"))
	if _, msg, err := c.ReadMessage(ctx, nil); err != nil || string(msg) != "x!" {
		t.Fatalf("got %q %v", msg, err)
	}
}

func TestFrameProxy(t *testing.T) {
	srv := httptest.NewServer(echo())
	defer srv.Close()
	addr := StartFrameProxy(t, FrameProxy{
		Backend: strings.TrimPrefix(srv.URL, "http://"),
		Request: func(r *http.Request) { r.Header.Set("X-In", "proxied") },
		Response: func(r *http.Request, resp *http.Response) {
			resp.Header.Set("X-Proxy", "yes")
		},
		Frame: TextFrames(func(d Direction, p []byte) [][]byte {
			switch {
			case d == ToServer && string(p) == "drop":
				return nil
			case d == ToServer:
				return [][]byte{p, append([]byte("2:"), p...)}
			}
			return [][]byte{bytes.ToUpper(p)}
		}),
	})
	resp, err := http.Get("http://" + addr + "/text")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello proxied" || resp.Header.Get("X-Proxy") != "yes" {
		t.Fatalf("got %q %v", b, resp.Header)
	}
	ctx := ctxT(t)
	c, err := wsconn.Dial(ctx, "ws://"+addr+"/ws", wsconn.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for _, m := range []string{"drop", "a"} {
		if err := c.WriteText(ctx, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"A!", "2:A!"} {
		if _, msg, err := c.ReadMessage(ctx, nil); err != nil || string(msg) != want {
			t.Fatalf("got %q %v, want %q", msg, err, want)
		}
	}
	// A close frame crosses the proxy both ways.
	if err := c.Close(ctx, wsconn.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
}

func TestFrameProxyPassesControlFrames(t *testing.T) {
	srv := httptest.NewServer(echo())
	defer srv.Close()
	addr := StartFrameProxy(t, FrameProxy{Backend: strings.TrimPrefix(srv.URL, "http://"),
		Frame: func(d Direction, f ws.Frame) []ws.Frame { return []ws.Frame{f} }})
	ctx := ctxT(t)
	c, err := wsconn.Dial(ctx, "ws://"+addr+"/", wsconn.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	b, _ := ws.CompileFrame(ws.MaskFrame(ws.NewPingFrame([]byte("hi"))))
	if err := c.WriteRaw(ctx, b); err != nil {
		t.Fatal(err)
	}
	c.NetConn().SetReadDeadline(time.Now().Add(5 * time.Second))
	if f, err := readFrame(c.NetConn()); err != nil || f.Header.OpCode != ws.OpPong || string(f.Payload) != "hi" {
		t.Fatalf("got %+v %v, want pong hi", f.Header, err)
	}
}
