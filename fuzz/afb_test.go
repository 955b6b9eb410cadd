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

// The reference binder passes several seeds, each long enough to reach
// every WebSocket mutation and HTTP case many times (about 2000 inputs a
// seed on a loaded laptop); -short runs one seed briefly.
func TestAFBReferenceBinderHasNoViolation(t *testing.T) {
	url := startBinder(t)
	seeds, d := []int64{1, 2, 3, 4}, 3*time.Second
	if testing.Short() {
		seeds, d = seeds[:1], time.Second
	}
	for _, seed := range seeds {
		rep, err := AFB(testCtx(t), url, AFBOptions{Options: Options{Duration: d, Seed: seed, BatchSize: 25}, Token: "HELLO"})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		rep.WriteText(&out)
		if len(rep.Violations) > 0 || rep.PeerDown || rep.Inputs == 0 || rep.Transports["ws"] == 0 || rep.Transports["http"] == 0 || rep.Probes == 0 {
			t.Fatalf("report:\n%s", out.String())
		}
		t.Logf("%s", out.String())
	}
}

// A 505 to a request line with an HTTP version the server does not speak
// is the right answer (net/http gives it to "HTTP/9.1"), as is a 501 to an
// unknown method; any other 5xx is a violation.
func TestAFBServerErrorOracle(t *testing.T) {
	for _, c := range []struct {
		status int
		line   string
		ok     bool
	}{
		{505, "GET /api/hello/ping HTTP/9.1", true},
		{505, "GET /api/hello/ping HTTP/2.0", true},
		{505, "GET /api/hello/ping HTTP/1.1", false},
		{505, "GET /api/hello/ping HTTP/1.0", false},
		{501, "FROB /api/hello/ping HTTP/1.1", true},
		{501, "GET /api/hello/ping HTTP/1.1", false},
		{500, "GET /api/hello/ping HTTP/9.1", false},
		{502, "FROB /x HTTP/1.1", false},
	} {
		if got := rightServerError(c.status, []byte(c.line+"\r\nHost: x\r\n\r\n")); got != c.ok {
			t.Errorf("%d to %q: right = %v, want %v", c.status, c.line, got, c.ok)
		}
	}

	// End to end: net/http's own 505 to HTTP/9.1 is not reported, a
	// handler's 500 is.
	for _, c := range []struct {
		status  int
		version string
		want    bool
	}{{0, "HTTP/9.1", false}, {500, "HTTP/1.1", true}} {
		url := serveLoopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(c.status)
		}), nil)
		r := &runner{opts: AFBOptions{}.withDefaults(), target: url}
		if err := r.parseTarget(); err != nil {
			t.Fatal(err)
		}
		msg := "GET /api/hello/ping " + c.version + "\r\nHost: " + r.host + "\r\nConnection: close\r\n\r\n"
		in := &httpInput{Input: Input{Transport: "http", Mutation: "garbage", Message: []byte(msg)}, level: Must, rule: "no 5xx"}
		if v := r.runHTTP(testCtx(t), in); (v != nil) != c.want {
			t.Errorf("%s answered %d: violation %v, want one: %v", c.version, c.status, v, c.want)
		}
	}
}
