// Package loopapitest starts a reference Loop server on a free loopback
// port for a test, like net/http/httptest:
//
//	srv := loopapitest.Start(t, loopapi.Options{})
//	c, _ := loopapi.NewClient(srv.URL, loopapi.ClientOptions{})
//
// The server shuts down gracefully when the test ends.
package loopapitest

import (
	"context"
	"testing"

	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/loopapi"
)

// Server is a running reference server.
type Server struct {
	URL    string // "http://127.0.0.1:PORT"
	Server *loopapi.Server
}

// Start serves loopapi.NewServer(opts) until t ends.
func Start(t testing.TB, opts loopapi.Options) *Server {
	t.Helper()
	s, err := loopapi.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	url := testserver.Serve(t, s, func(ctx context.Context) { _ = s.Shutdown(ctx) })
	return &Server{URL: url, Server: s}
}

// Client returns a client of the server.
func (s *Server) Client(t testing.TB) *loopapi.Client {
	t.Helper()
	c, err := loopapi.NewClient(s.URL, loopapi.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
