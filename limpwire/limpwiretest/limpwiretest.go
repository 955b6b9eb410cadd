// Package limpwiretest starts a reference LIMP server on a free loopback
// port for tests, as net/http/httptest does for HTTP.
package limpwiretest

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/limpwire"
)

// The administrator every test server has.
const (
	AdminEmail    = "admin@limp.test"
	AdminPassword = "admin-password"
)

// Server is a running reference server.
type Server struct {
	*limpwire.Server
	URL string // ws://127.0.0.1:PORT/ws
}

// Start serves a reference server with opts (the modules of Setup
// added, and the administrator AdminEmail / AdminPassword at hash level
// 5.6 with id limpwire.AdminUserID) until the test ends.
func Start(t testing.TB, opts limpwire.Options) *Server {
	t.Helper()
	return StartWrapped(t, opts, nil)
}

// StartWrapped is Start with the server behind wrap (a mutant, a
// middleware); nil serves it as it is.
func StartWrapped(t testing.TB, opts limpwire.Options, wrap func(http.Handler) http.Handler) *Server {
	t.Helper()
	s := limpwire.NewServer(opts)
	if err := Setup(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	var h http.Handler = s
	if wrap != nil {
		h = wrap(s)
	}
	u := testserver.Serve(t, h, func(ctx context.Context) { _ = s.Shutdown(ctx) })
	return &Server{Server: s, URL: "ws" + strings.TrimPrefix(u, "http") + "/ws"}
}

// Setup adds the blob module, an "item" collection module anyone may
// read and write (for the query cases of the conformance suite), and the
// administrator to s (the administrator only when the store has none).
func Setup(ctx context.Context, s *limpwire.Server) error {
	if err := s.Register(s.NewBlobModule()); err != nil {
		return err
	}
	anyone := []limpwire.Permission{{Privilege: "*"}}
	if err := s.Register(s.NewCollectionModule("item", "APP", limpwire.CollectionPermissions{
		Read: anyone, Create: anyone, Update: anyone, Delete: anyone,
	})); err != nil {
		return err
	}
	q, err := limpwire.ParseQuery([]any{map[string]any{"_id": limpwire.AdminUserID}})
	if err != nil {
		return err
	}
	res, err := s.Store().Read(ctx, limpwire.UserCollection, q)
	if err != nil || len(res.Docs) > 0 {
		return err
	}
	_, err = s.AddUser(ctx, limpwire.NewUser{
		ID: limpwire.AdminUserID, Name: "Admin", Email: AdminEmail, Password: AdminPassword,
		Privileges: map[string][]string{"*": {"*"}},
	})
	return err
}
