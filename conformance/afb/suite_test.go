package afb

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/conformancetest"
)

// testToken is the initial token of the reference binders.
const testToken = "HELLO"

func TestSuiteValid(t *testing.T) {
	if err := Suite().Validate(); err != nil {
		t.Fatal(err)
	}
}

// binder is one reference binder serving on a loopback port.
type binder struct {
	addr string // host:port
	port string
}

// startBinder serves a fresh afbproto.Binder with the auth and hello
// bindings, wrapped by wrap (nil: as is), until the test ends.
func startBinder(t *testing.T, opts afbproto.Options, wrap func(http.Handler) http.Handler) binder {
	t.Helper()
	b, err := afbproto.NewBinder(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, api := range []afbproto.API{afbproto.NewAuthAPI(), afbproto.NewHelloAPI()} {
		if err := b.AddAPI(api); err != nil {
			t.Fatal(err)
		}
	}
	var h http.Handler = b
	if wrap != nil {
		h = wrap(h)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.Shutdown(ctx)
		_ = srv.Close()
	})
	return binder{addr: ln.Addr().String(), port: strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)}
}

// target returns the conformance target for a server at addr whose session
// cookie is named after port.
func target(addr, port string) conformance.Target {
	return conformance.Target{URL: "http://" + addr + "/api", Params: map[string]string{"token": testToken, "port": port}}
}

func dialectOf(profile string) afbproto.Dialect {
	if profile == ProfileFinal {
		return afbproto.DialectAGLFinal
	}
	return afbproto.DialectV6
}

func runner() conformance.Runner {
	return conformance.Runner{Timeout: 3 * time.Second, Parallel: 8}
}

// TestProof proves the suite: the reference binder passes every case in
// both profiles, every mutant fails at least one case, and every case
// fails against at least one mutant.
func TestProof(t *testing.T) {
	p := conformancetest.New(t, Suite(), runner())
	for _, profile := range []string{ProfileV6, ProfileFinal} {
		b := startBinder(t, afbproto.Options{Token: afbproto.FixedToken(testToken), Dialect: dialectOf(profile)}, nil)
		p.Reference(profile, target(b.addr, b.port))
	}
	for _, m := range mutants() {
		profile := m.profile
		if profile == "" {
			profile = ProfileV6
		}
		opts := afbproto.Options{Token: afbproto.FixedToken(testToken), Dialect: dialectOf(profile)}
		if m.opts != nil {
			m.opts(&opts)
		}
		b := startBinder(t, opts, m.wrap)
		addr := b.addr
		if m.proxy != nil {
			fp := *m.proxy
			fp.Backend = b.addr
			addr = conformancetest.StartFrameProxy(t, fp)
		}
		p.Mutant(m.name, profile, target(addr, b.port))
	}
	p.Done()
}
