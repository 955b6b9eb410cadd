package afbproto_test

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/internal/wsconn"
)

// A server that answers a call with garbage makes the call fail with
// "disconnected" wrapping a clear cause, and the client closes the socket
// (1008 for a malformed frame, as the reference server does); nothing
// panics and nothing is buffered beyond the limit.
func TestWSHostileServer(t *testing.T) {
	const limit = 4096
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	for _, tc := range []struct {
		name  string
		send  func(ctx context.Context, c *wsconn.Conn, id []byte) error
		want  error
		close int // close code the server receives; 0: not checked
	}{
		{"not json", text("not json"), afbproto.ErrServerProtocol, 1008},
		{"empty array", text("[]"), afbproto.ErrServerProtocol, 1008},
		{"object", text("{}"), afbproto.ErrServerProtocol, 1008},
		{"bad code", text(`[7,"999999",{}]`), afbproto.ErrServerProtocol, 1008},
		{"two elements", text(`[3,"999999"]`), afbproto.ErrServerProtocol, 1008},
		{"five elements", text(`[3,"999999",{},"t","x"]`), afbproto.ErrServerProtocol, 1008},
		{"not a reply", text(`[3,"999999",{"jtype":"afb-event","event":"a/b"}]`), afbproto.ErrServerProtocol, 1008},
		{"status not a string", text(`[3,"999999",{"jtype":"afb-reply","request":{"status":1}}]`), afbproto.ErrServerProtocol, 1008},
		{"event not an object", text(`[5,"a/b",1]`), afbproto.ErrServerProtocol, 1008},
		{"bad token element", text(`[3,"999999",{"jtype":"afb-reply","request":{"status":"success"}},"a\"]`), afbproto.ErrServerProtocol, 1008},
		{"control char in id", text("[3,\"99\x019999\",{\"jtype\":\"afb-reply\",\"request\":{\"status\":\"success\"}}]"), afbproto.ErrServerProtocol, 1008},
		{"deep nesting", text(deep), afbproto.ErrTooLarge, 1009},
		{"deep nesting in reply", text(`[3,"999999",` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `]`), afbproto.ErrServerProtocol, 1008},
		{"huge message", text(strings.Repeat("x", limit+1)), afbproto.ErrTooLarge, 1009},
		{"huge announced length", raw([]byte{0x81, 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), afbproto.ErrTooLarge, 1009},
		{"binary", func(ctx context.Context, c *wsconn.Conn, id []byte) error {
			return c.WriteMessage(ctx, wsconn.Binary, replyTo(id, "1"))
		}, afbproto.ErrServerProtocol, 1003},
		{"invalid utf-8", text("[3,\"999999\",{\"jtype\":\"afb-reply\",\"request\":{\"status\":\"\xff\"}}]"), afbproto.ErrServerProtocol, 1007},
		{"bad frame header", raw([]byte{0xf1, 0x00}), afbproto.ErrServerProtocol, 1002},
		{"masked server frame", raw([]byte{0x81, 0x81, 1, 2, 3, 4, 'x'}), afbproto.ErrServerProtocol, 1002},
		{"truncated then EOF", raw([]byte{0x81, 10, '[', '3'}), nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			closed := make(chan int, 1)
			url := fakeWS(t, func(ctx context.Context, c *wsconn.Conn) {
				f, err := readCall(ctx, c)
				if err != nil {
					closed <- -2
					return
				}
				if err := tc.send(ctx, c, f.ID); err != nil {
					closed <- -3
					return
				}
				if tc.name == "truncated then EOF" {
					c.CloseNow()
					closed <- -1
					return
				}
				_, _, err = c.ReadMessage(ctx, nil)
				closed <- wsconn.CloseStatus(err)
			})
			c := dial(t, url, afbproto.ClientOptions{MaxMessageSize: limit})
			_, err := c.Call(testCtx(t), "hello", "ping", nil)
			if !errors.Is(err, afbproto.ErrDisconnected) {
				t.Fatalf("call: %v, want a disconnection", err)
			}
			if tc.want != nil && (!errors.Is(err, tc.want) || !errors.Is(c.Err(), tc.want)) {
				t.Fatalf("call: %v; Err() %v; want %v", err, c.Err(), tc.want)
			}
			if code := <-closed; tc.close != 0 && code != tc.close {
				t.Errorf("server saw close code %d, want %d", code, tc.close)
			}
		})
	}
}

func text(s string) func(context.Context, *wsconn.Conn, []byte) error {
	return func(ctx context.Context, c *wsconn.Conn, _ []byte) error { return c.WriteText(ctx, []byte(s)) }
}

func raw(b []byte) func(context.Context, *wsconn.Conn, []byte) error {
	return func(ctx context.Context, c *wsconn.Conn, _ []byte) error { return c.WriteRaw(ctx, b) }
}

// A reply to nobody, a call from the server and a client-style event are
// not errors: they are counted or delivered, and the real reply still
// comes through.
func TestWSUnexpectedButValidFrames(t *testing.T) {
	url := fakeWS(t, func(ctx context.Context, c *wsconn.Conn) {
		f, err := readCall(ctx, c)
		if err != nil {
			return
		}
		for _, m := range [][]byte{
			replyTo([]byte("12"), "0"),
			[]byte(`[2,"s1","client/verb",null]`),
			[]byte(`[5,"x/y",{"event":"x/y","jtype":"afb-event"}]`),
			[]byte(`[ 3 , "` + string(f.ID) + `" , {"jtype":"afb-reply","request":{"status":"success","uuid":"u-1"}} , "tok\/2" ]`),
		} {
			if c.WriteText(ctx, m) != nil {
				return
			}
		}
		_, _, _ = c.ReadMessage(ctx, nil)
	})
	c := dial(t, url, afbproto.ClientOptions{})
	r := mustCall(t, c, "hello", "ping", nil)
	if r.Response != nil || c.Token() != "tok/2" || c.UUID() != "u-1" {
		t.Errorf("reply %+v, Token %q, UUID %q", r, c.Token(), c.UUID())
	}
	if s := c.Stats(); s.LateReplies != 1 || s.IgnoredFrames != 1 {
		t.Errorf("stats %+v", s)
	}
	if e := <-c.Events(); e.Event != "x/y" || e.Data != nil {
		t.Errorf("event %+v", e)
	}
}

// Close ends the read loop before returning: after many clients come and
// go, no client goroutine is left.
func TestWSNoGoroutineLeak(t *testing.T) {
	b := startBinder(t, afbproto.Options{Token: afbproto.AnyToken()})
	ctx := testCtx(t)
	before := clientGoroutines()
	for range 20 {
		c, err := afbproto.Dial(ctx, b.wsURL(), afbproto.ClientOptions{})
		if err != nil {
			t.Fatal(err)
		}
		mustCall(t, c, "hello", "ping", nil)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Close waits for the read loop, which closes loopDone as its last
	// act: the goroutine may still be on its way out for an instant, so
	// wait (bounded) for the count to settle rather than sample it once.
	after := clientGoroutines()
	for deadline := time.Now().Add(5 * time.Second); after != before && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		after = clientGoroutines()
	}
	if after != before {
		t.Errorf("%d client goroutines before, %d after", before, after)
	}
}

// clientGoroutines counts the goroutines running WSClient code.
func clientGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return bytes.Count(buf, []byte("afbproto.(*WSClient)"))
}
