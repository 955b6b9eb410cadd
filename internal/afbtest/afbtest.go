// Package afbtest starts reference binders for tests across the module.
package afbtest

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/internal/testserver"
)

// Token is the initial token tests conventionally give their binders.
const Token = "HELLO"

// Start serves a reference binder with the hello and auth APIs on a free
// loopback port until the test ends, and returns it with its API root URL
// ("http://127.0.0.1:PORT/api").
func Start(t testing.TB, opts afbproto.Options) (*afbproto.Binder, string) {
	t.Helper()
	return StartWrapped(t, opts, nil)
}

// StartWrapped is Start with the binder behind wrap (a mutant, a
// middleware); nil wrap serves the binder as it is.
func StartWrapped(t testing.TB, opts afbproto.Options, wrap func(http.Handler) http.Handler) (*afbproto.Binder, string) {
	t.Helper()
	b, err := afbproto.NewBinder(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, api := range []afbproto.API{afbproto.NewHelloAPI(), afbproto.NewAuthAPI()} {
		if err := b.AddAPI(api); err != nil && !errors.Is(err, afbproto.ErrAPIExists) {
			t.Fatal(err)
		}
	}
	var h http.Handler = b
	if wrap != nil {
		h = wrap(b)
	}
	url := testserver.Serve(t, h, func(ctx context.Context) { _ = b.Shutdown(ctx) })
	return b, url + b.Options().RootAPI
}
