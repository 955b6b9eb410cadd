package fuzz

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/appwire/appwire/afbproto"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// serveLoopback serves h on a free loopback port until the test ends and
// returns http://127.0.0.1:PORT/api.
func serveLoopback(t *testing.T, h http.Handler, stop func(context.Context)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		if stop != nil {
			stop(ctx)
		}
		<-done
	})
	return "http://" + ln.Addr().String() + "/api"
}

func newBinder(t *testing.T) *afbproto.Binder {
	t.Helper()
	b, err := afbproto.NewBinder(afbproto.Options{Token: afbproto.FixedToken("HELLO")})
	if err != nil {
		t.Fatal(err)
	}
	for _, api := range []afbproto.API{afbproto.NewHelloAPI(), afbproto.NewAuthAPI()} {
		if err := b.AddAPI(api); err != nil && !errors.Is(err, afbproto.ErrAPIExists) {
			t.Fatal(err)
		}
	}
	return b
}

func startBinder(t *testing.T) string {
	b := newBinder(t)
	return serveLoopback(t, b, func(ctx context.Context) { _ = b.Shutdown(ctx) })
}

func TestAFBReferenceBinderHasNoViolation(t *testing.T) {
	url := startBinder(t)
	rep, err := AFB(testCtx(t), url, Options{Duration: 2 * time.Second, Seed: 1, Token: "HELLO", BatchSize: 25})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.WriteText(&out)
	if len(rep.Violations) > 0 || rep.PeerDown || rep.Inputs == 0 || rep.WSInputs == 0 || rep.HTTPInputs == 0 || rep.Probes == 0 {
		t.Fatalf("report:\n%s", out.String())
	}
	t.Logf("%s", out.String())
}
