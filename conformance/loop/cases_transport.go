package loopsuite

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// Sections 1 and 2: mounts, the redirect, common headers, CORS, bodies,
// the error body.

func transportCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "loop/1.1/1",
		Title:       "the API answers under /v0 as at the root: GET /v0/__lbheartbeat__ and GET /__lbheartbeat__ give 200 {}",
		Level:       must,
		Requirement: "The API router is mounted at /v0 (the major version) and at /.",
		Run: func(ctx context.Context, t *conformance.T) {
			for _, p := range []string{"/v0/__lbheartbeat__", "/__lbheartbeat__"} {
				r := kit.Do(ctx, t, kit.Request{URL: origin(t) + p})
				r.ExpectStatus(t, "HTTP 200 {} at "+p, http.StatusOK)
				r.ExpectJSON(t, `{}`)
			}
		},
	}, {
		ID:          "loop/1.1/2",
		Title:       "an unknown path outside /v0 gets 307 with Location /v0<path>",
		Level:       must,
		Requirement: "A path no route matches that does not start with /v0 is redirected with 307 to /v0 followed by the path.",
		Run: func(ctx context.Context, t *conformance.T) {
			p := "/" + kit.NewID("nosuch")
			r := kit.Do(ctx, t, kit.Request{URL: origin(t) + p})
			r.ExpectStatus(t, "HTTP 307 to /v0"+p, http.StatusTemporaryRedirect)
			loc := r.Header.Get("Location")
			if loc != "/v0"+p && loc != origin(t)+"/v0"+p {
				t.Failf("Location: /v0"+p, "Location: %q", loc)
			}
		},
	}, {
		ID:          "loop/1.1/3",
		Title:       "an unknown path under /v0 gets 404 {code 404, errno 999, error \"Resource not found.\"}",
		Level:       must,
		Requirement: `A path under /v0 that no route matches gets 404 {"code":404,"errno":999,"error":"Resource not found."}.`,
		Run: func(ctx context.Context, t *conformance.T) {
			r := kit.Do(ctx, t, kit.Request{URL: origin(t) + "/v0/" + kit.NewID("nosuch")})
			expectError(t, r, 404, 999, "Resource not found.")
		},
	}, {
		ID:          "loop/1.2/1",
		Title:       "a 200 carries Timestamp: the server's clock in unix seconds",
		Level:       must,
		Requirement: "Responses with status 200 carry Timestamp: <unix seconds>.",
		Run: func(ctx context.Context, t *conformance.T) {
			r := kit.Do(ctx, t, kit.Request{URL: base(t) + "/__lbheartbeat__"})
			r.ExpectStatus(t, "", http.StatusOK)
			expectTimestamp(t, r)
		},
	}, {
		ID:          "loop/1.2/2",
		Title:       "a 401 carries Timestamp too (so a client can correct its clock)",
		Level:       must,
		Requirement: "Responses with status 401 carry Timestamp: <unix seconds>.",
		Run: func(ctx context.Context, t *conformance.T) {
			r := anon(ctx, t, "GET", "/call-url", nil, nil)
			r.ExpectStatus(t, "", http.StatusUnauthorized)
			expectTimestamp(t, r)
		},
	}, {
		ID:          "loop/1.2/3",
		Title:       "a 404 carries no Timestamp",
		Level:       compat,
		Requirement: "Timestamp is added to 200 and 401 responses only.",
		Run: func(ctx context.Context, t *conformance.T) {
			r := kit.Do(ctx, t, kit.Request{URL: origin(t) + "/v0/" + kit.NewID("nosuch")})
			r.ExpectStatus(t, "", http.StatusNotFound)
			r.ExpectHeader(t, "Timestamp", "")
		},
	}, {
		ID:          "loop/1.2/4",
		Title:       "JSON answers are Content-Type: application/json; charset=utf-8, without X-Powered-By",
		Level:       must,
		Requirement: "Every JSON response uses application/json; charset=utf-8; the framework's X-Powered-By header is removed.",
		Run: func(ctx context.Context, t *conformance.T) {
			r := kit.Do(ctx, t, kit.Request{URL: base(t) + "/"})
			r.ExpectStatus(t, "", http.StatusOK)
			r.ExpectHeader(t, "Content-Type", "application/json; charset=utf-8")
			r.ExpectHeader(t, "X-Powered-By", "")
		},
	}, {
		ID:          "loop/1.3/1",
		Title:       "an allowed Origin is echoed in Access-Control-Allow-Origin",
		Level:       must,
		Requirement: "CORS applies to every route: an Origin in allowedOrigins is echoed in Access-Control-Allow-Origin.",
		Run: func(ctx context.Context, t *conformance.T) {
			o := t.Param(ParamAllowedOrigin)
			r := kit.Do(ctx, t, kit.Request{URL: base(t) + "/", Header: http.Header{"Origin": {o}}})
			r.ExpectStatus(t, "", http.StatusOK)
			r.ExpectHeader(t, "Access-Control-Allow-Origin", o)
		},
	}, {
		ID:          "loop/1.3/2",
		Title:       "another Origin gets no Access-Control-Allow-Origin",
		Level:       must,
		Requirement: "For an Origin that is not allowed the Access-Control-Allow-Origin header is absent.",
		Run: func(ctx context.Context, t *conformance.T) {
			r := kit.Do(ctx, t, kit.Request{URL: base(t) + "/", Header: http.Header{"Origin": {"http://" + kit.NewID("evil") + ".example"}}})
			r.ExpectStatus(t, "", http.StatusOK)
			r.ExpectHeader(t, "Access-Control-Allow-Origin", "")
		},
	}, {
		ID:          "loop/1.3/3",
		Title:       "an OPTIONS preflight from an allowed Origin is answered with its Allow headers",
		Level:       must,
		Requirement: "CORS covers OPTIONS: a preflight from an allowed Origin gets Access-Control-Allow-Origin and the allowed methods and headers.",
		Run: func(ctx context.Context, t *conformance.T) {
			o := t.Param(ParamAllowedOrigin)
			r := kit.Do(ctx, t, kit.Request{Method: "OPTIONS", URL: base(t) + "/registration", Header: http.Header{
				"Origin": {o}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"authorization"}}})
			r.ExpectStatus(t, "HTTP 204 or 200 (preflight)", http.StatusNoContent, http.StatusOK)
			r.ExpectHeader(t, "Access-Control-Allow-Origin", o)
			if m := r.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "POST") {
				t.Failf("Access-Control-Allow-Methods naming POST", "Access-Control-Allow-Methods: %q", m)
			}
			if h := strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")); !strings.Contains(h, "authorization") {
				t.Failf("Access-Control-Allow-Headers naming authorization", "Access-Control-Allow-Headers: %q", h)
			}
		},
	}, {
		ID:          "loop/1.4/1",
		Title:       "a body with an Accept header that excludes JSON gets 406 errno 106",
		Level:       must,
		Requirement: "A route that reads parameters answers 406 errno 106 when the request's Accept header does not accept JSON.",
		Run: func(ctx context.Context, t *conformance.T) {
			r := anon(ctx, t, "POST", "/registration", map[string]any{"simplePushURL": discardPush}, http.Header{"Accept": {"text/html"}})
			r.ExpectStatus(t, "HTTP 406 errno 106", http.StatusNotAcceptable)
			m := object(t, r, `{"code":406,"errno":106,...}`)
			if n, _ := num(m, "errno"); n != 106 {
				t.Failf("errno 106", "%s", r.Brief())
			}
		},
	}, {
		ID:          "loop/1.4/2",
		Title:       "malformed JSON gets 400",
		Level:       must,
		Requirement: "A body that is not valid JSON is refused with 400 (upstream: the framework's HTML page, since its error handler has the wrong arity).",
		Run: func(ctx context.Context, t *conformance.T) {
			r := anon(ctx, t, "POST", "/registration", []byte(`{"simplePushURL":`), nil)
			r.ExpectStatus(t, "HTTP 400", http.StatusBadRequest)
		},
	}, {
		ID:          "loop/2.1/1",
		Title:       "an error body has code (the status), errno and error, and nothing else when there is no message",
		Level:       must,
		Requirement: `Errors are {"code": status, "errno": n, "error": text}; "message" and "info" appear only when set (rooms).`,
		Run: func(ctx context.Context, t *conformance.T) {
			r := anon(ctx, t, "GET", "/calls/"+kit.NewID("x")[:11], nil, nil)
			r.ExpectStatus(t, "HTTP 404", http.StatusNotFound)
			m := object(t, r, `{"code":404,"errno":105,"error":...}`)
			keysExactly(t, m, "exactly code, errno, error", "code", "errno", "error")
			if c, _ := num(m, "code"); c != 404 {
				t.Failf(`"code":404`, "%s", r.Brief())
			}
			if n, _ := num(m, "errno"); n != 105 {
				t.Failf(`"errno":105`, "%s", r.Brief())
			}
		},
	}}
}

// expectTimestamp fails unless r has Timestamp within five minutes of the
// local clock.
func expectTimestamp(t *conformance.T, r *kit.Response) {
	v := r.Header.Get("Timestamp")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Failf("Timestamp: <unix seconds>", "Timestamp: %q", v)
	}
	near(t, "Timestamp", n, now(), 300)
}
