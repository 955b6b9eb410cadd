package fuzz

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/appwire/appwire/afbproto"
	"github.com/appwire/appwire/internal/afbtest"
	"github.com/appwire/appwire/internal/testserver"
)

func testCtx(t *testing.T) context.Context { return testserver.Ctx(t) }

// serveLoopback serves h on a free loopback port until the test ends and
// returns http://127.0.0.1:PORT/api.
func serveLoopback(t *testing.T, h http.Handler, stop func(context.Context)) string {
	t.Helper()
	return testserver.Serve(t, h, stop) + "/api"
}

// startBinder serves a reference binder with initial token HELLO and
// returns its API root URL.
func startBinder(t *testing.T) string {
	t.Helper()
	_, url := afbtest.Start(t, afbproto.Options{Token: afbproto.FixedToken(afbtest.Token)})
	return url
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
