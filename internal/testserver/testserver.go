// Package testserver holds the loopback server plumbing that tests across
// the module share: a free port, a bounded context, and cleanup that waits
// for the server to stop ([Serve], [Ctx]); and the peers a client must
// survive, one that is down ([ClosedAddr], [ClosedUnixPath]), silent or
// answering garbage ([StartHostile], [Silent], [Garbage]), with the
// listener tracking behind them ([Listen], [Track]).
package testserver

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// Ctx returns a context that ends when the test ends or after a minute,
// so a bug shows up as a failure rather than a hang.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// Serve serves h on a free 127.0.0.1 port until the test ends and returns
// "http://127.0.0.1:PORT". stop, when not nil, runs after the HTTP server
// has shut down, to end what h hijacked (WebSocket connections, which
// http.Server.Shutdown does not wait for).
func Serve(t testing.TB, h http.Handler, stop func(context.Context)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
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
	return "http://" + ln.Addr().String()
}
