package afb

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/afbtest"
	"github.com/appwire/appwire/internal/conformancetest"
)

// testToken is the initial token of the reference binders (V6) and a
// token they accept (final, libafb); testBadToken is the one token the
// final and libafb binders' permission check rejects.
const (
	testToken    = "HELLO"
	testBadToken = "BAD-TOKEN"
)

// binder is one reference binder serving on a loopback port.
type binder struct {
	addr string // host:port
	port string
}

// startBinder serves a fresh afbproto.Binder with the auth and hello
// bindings, wrapped by wrap (nil: as is), until the test ends.
func startBinder(t *testing.T, opts afbproto.Options, wrap func(http.Handler) http.Handler) binder {
	t.Helper()
	_, root := afbtest.StartWrapped(t, opts, wrap)
	u, err := url.Parse(root)
	if err != nil {
		t.Fatal(err)
	}
	return binder{addr: u.Host, port: u.Port()}
}

// target returns the conformance target for a server at addr whose session
// cookie is named after port.
func target(addr, port string) conformance.Target {
	return conformance.Target{URL: "http://" + addr + "/api", Params: map[string]string{"token": testToken, "badtoken": testBadToken, "port": port}}
}

// optionsOf returns the reference binder's options for profile: its
// Dialect, the initial token, and (final, libafb) a permission check
// rejecting testBadToken, as Cynara would.
func optionsOf(profile string) afbproto.Options {
	opts := afbproto.Options{Token: afbproto.FixedToken(testToken)}
	switch profile {
	case ProfileFinal:
		opts.Dialect = afbproto.DialectAGLFinal
	case ProfileLibafb:
		opts.Dialect = afbproto.DialectLibafb
	}
	if profile != ProfileV6 {
		opts.TokenValidator = func(tok string) bool { return tok != testBadToken }
	}
	return opts
}

var profiles = []string{ProfileV6, ProfileFinal, ProfileLibafb}

func runner() conformance.Runner {
	return conformance.Runner{Timeout: 3 * time.Second, Parallel: 8}
}

// TestProof proves the suite: the reference binder passes every case in
// every profile, every mutant fails at least one case, and every case
// fails against at least one mutant.
func TestProof(t *testing.T) {
	conformancetest.Prove(t, Suite(), runner(), func(t *testing.T, profile string) conformance.Target {
		b := startBinder(t, optionsOf(profile), nil)
		return target(b.addr, b.port)
	}, mutants())
}
