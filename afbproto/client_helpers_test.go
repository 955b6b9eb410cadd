package afbproto_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/internal/afbtest"
	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/internal/wsconn"
)

// testCtx bounds a test so that a bug shows up as a failure, not a hang.
func testCtx(t testing.TB) context.Context { return testserver.Ctx(t) }

// binder is a reference binder serving on a free loopback port.
type binder struct {
	*afbproto.Binder
	url string // http://127.0.0.1:PORT/api
}

func (b *binder) wsURL() string { return "ws" + b.url[len("http"):] }

// startBinder serves afbproto.NewBinder(opts) with the hello and auth APIs
// on 127.0.0.1:0 until the test ends.
func startBinder(t testing.TB, opts afbproto.Options) *binder {
	t.Helper()
	b, url := afbtest.Start(t, opts)
	return &binder{Binder: b, url: url}
}

// serve runs h on a free loopback port until the test ends and returns
// http://127.0.0.1:PORT. stop, when not nil, ends what h hijacked.
func serve(t testing.TB, h http.Handler, stop func(context.Context)) string {
	t.Helper()
	return testserver.Serve(t, h, stop)
}

// fakeWS serves x-afb-ws-json1 upgrades at any path and hands each
// connection to fn, which owns it. It returns the ws:// URL.
func fakeWS(t testing.TB, fn func(ctx context.Context, c *wsconn.Conn)) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	conns := make(chan struct{}, 64)
	var handler http.HandlerFunc = func(w http.ResponseWriter, r *http.Request) {
		c, err := wsconn.Upgrade(w, r, wsconn.UpgradeOptions{Protocol: afbproto.Subprotocol})
		if err != nil {
			return
		}
		conns <- struct{}{}
		defer func() { <-conns }()
		context.AfterFunc(ctx, func() { c.CloseNow() })
		defer c.CloseNow()
		fn(ctx, c)
	}
	u := serve(t, handler, func(sctx context.Context) {
		cancel()
		for i := 0; i < cap(conns); i++ { // wait for the handlers to end
			select {
			case conns <- struct{}{}:
			case <-sctx.Done():
				return
			}
		}
	})
	return "ws" + u[len("http"):] + "/api"
}

// readCall reads one message from the client and parses it as a call.
func readCall(ctx context.Context, c *wsconn.Conn) (*afbproto.Frame, error) {
	_, msg, err := c.ReadMessage(ctx, nil)
	if err != nil {
		return nil, err
	}
	f := new(afbproto.Frame)
	if err := f.Parse(msg); err != nil {
		return nil, err
	}
	return f, nil
}

// replyTo builds [3,"ID",{success reply with response}].
func replyTo(id []byte, response string) []byte {
	f := afbproto.Frame{Type: afbproto.FrameReplyOK, ID: id,
		Payload: afbproto.AppendReply(nil, &afbproto.Reply{Status: afbproto.StatusSuccess, Response: []byte(response)}, afbproto.DialectV6)}
	return f.Append(nil)
}
