package afb

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// Spec §1.1, §1.2 and §1.5: the HTTP API's URL layout, arguments and
// status codes.

// ping calls hello/ping with req (Path defaults to hello/ping), skips when
// the target has no hello API and fails unless the reply is a success.
func ping(ctx context.Context, t *conformance.T, req request) (*response, *reply) {
	if req.Path == "" && req.RawURL == "" {
		req.Path = "hello/ping"
	}
	resp, r := call(ctx, t, req)
	skipUnknownAPI(t, r, "hello")
	expectStatus(t, r, "success")
	return resp, r
}

// expectArgs fails unless hello/ping saw exactly the arguments want.
func expectArgs(t *conformance.T, r *reply, want string) {
	if got := r.args(t); !kit.JSONEqual(got, []byte(want)) {
		t.Failf("the verb receives the arguments "+want, "it received %s", got)
	}
}

// expectEmpty fails unless resp has status code and an empty body.
func expectEmpty(t *conformance.T, resp *response, code int) {
	if resp.Status != code || len(resp.Body) != 0 {
		t.Failf(http.StatusText(code)+" ("+strconv.Itoa(code)+") with an empty body", "HTTP %d with %d body bytes: %.100q", resp.Status, len(resp.Body), resp.Body)
	}
}

func urlCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "afb/1.1/1",
		Title:       "GET /API/HELLO/PING (root, api and verb upper-cased) reaches hello/ping",
		Level:       must,
		Requirement: "The API root prefix is matched ignoring case, and API and verb names are matched case-insensitively. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			ping(ctx, t, request{}) // skips without a hello API
			u := root(t)
			u.Path = strings.ToUpper(u.Path) + "/HELLO/PING"
			_, r := call(ctx, t, request{RawURL: u.String()})
			expectStatus(t, r, "success")
		},
	}, {
		ID:          "afb/1.1/2",
		Title:       "GET /api//hello//ping (repeated slashes) reaches hello/ping",
		Level:       must,
		Requirement: "Leading slashes and repeated slashes between the segments of /api/<api>/<verb> are skipped. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			ping(ctx, t, request{}) // skips without a hello API
			_, r := call(ctx, t, request{RawURL: root(t).String() + "//hello//ping"})
			expectStatus(t, r, "success")
		},
	}, {
		ID:          "afb/1.1/3",
		Title:       "GET /api/hello and GET /api/ (no verb, no api) give 404 with an empty body",
		Level:       must,
		Requirement: "If the api or the verb is missing (/api/, /api/hello), the handler declines and the result is 404, empty body.",
		Run: func(ctx context.Context, t *conformance.T) {
			expectEmpty(t, do(ctx, t, request{Path: "hello"}), http.StatusNotFound)
			expectEmpty(t, do(ctx, t, request{Path: ""}), http.StatusNotFound)
		},
	}, {
		ID:          "afb/1.1/4",
		Title:       "GET /api/hello/ping/extra gives unknown-verb (the verb is the rest of the path)",
		Level:       compat,
		Requirement: "V6-2019+: the verb is everything after the api segment (/api/hello/ping/extra → verb ping/extra → unknown-verb). Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			_, r := call(ctx, t, request{Path: "hello/ping/extra"})
			skipUnknownAPI(t, r, "hello")
			expectStatus(t, r, "unknown-verb")
		},
	}, {
		ID:          "afb/1.1/5",
		Title:       "GET /api/<unknown api>/ping gives an afb-reply with status unknown-api",
		Level:       must,
		Requirement: "V6-2019: an unknown api gives the status unknown-api (info \"api X not found (for verb Y)\").",
		Run: func(ctx context.Context, t *conformance.T) {
			_, r := call(ctx, t, request{Path: newID("noapi") + "/ping"})
			expectStatus(t, r, "unknown-api")
		},
	}, {
		ID:          "afb/1.1/6",
		Title:       "PUT and DELETE /api/hello/ping give 400 with an empty body",
		Level:       must,
		Requirement: "Methods: only GET and POST. Any other method gives 400, empty body.",
		Run: func(ctx context.Context, t *conformance.T) {
			for _, m := range []string{http.MethodPut, http.MethodDelete} {
				expectEmpty(t, do(ctx, t, request{Method: m, Path: "hello/ping"}), http.StatusBadRequest)
			}
		},
	}, {
		ID:          "afb/1.1/7",
		Title:       "plain GET /api gives 401 without a token and 404 with the initial token",
		Level:       compat,
		Profiles:    v6Only,
		Requirement: "A plain GET /api (exact path, no Upgrade header) reaches the WebSocket handler first. V1/V6: 401 if the token is not valid, otherwise 404.",
		Run: func(ctx context.Context, t *conformance.T) {
			needToken(t)
			if r := do(ctx, t, request{RawURL: root(t).String()}); r.Status != http.StatusUnauthorized {
				t.Failf("401 for GET /api without a token", "HTTP %d", r.Status)
			}
			if r := do(ctx, t, request{RawURL: root(t).String() + "?" + tokenQuery(t).Encode()}); r.Status != http.StatusNotFound {
				t.Failf("404 for GET /api?token=<initial token>", "HTTP %d", r.Status)
			}
		},
	}, {
		ID:          "afb/1.1/8",
		Title:       "plain GET /api without a token gives 404 (no token check)",
		Level:       compat,
		Profiles:    finalLike,
		Requirement: "A plain GET /api (exact path, no Upgrade header) reaches the WebSocket handler first; AGL-final/libafb: no check at upgrade time, so it is not an upgrade and falls through to 404.",
		Run: func(ctx context.Context, t *conformance.T) {
			if r := do(ctx, t, request{RawURL: root(t).String()}); r.Status != http.StatusNotFound {
				t.Failf("404 for GET /api without a token", "HTTP %d", r.Status)
			}
		},
	}}
}

func argCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "afb/1.2/1",
		Title:       "GET hello/ping?a=1&b=x&reqid=R42: the verb gets {\"a\":\"1\",\"b\":\"x\",\"reqid\":\"R42\"}",
		Level:       must,
		Requirement: "Query string: every parameter becomes a string member of a JSON object. The reserved keys (token, uuid, reqid…) are not removed. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			_, r := ping(ctx, t, request{Query: url.Values{"a": {"1"}, "b": {"x"}, "reqid": {"R42"}}})
			expectArgs(t, r, `{"a":"1","b":"x","reqid":"R42"}`)
		},
	}, {
		ID:          "afb/1.2/2",
		Title:       "GET hello/ping?a=1&a=2: the verb gets {\"a\":\"2\"}",
		Level:       compat,
		Requirement: "With a repeated key the last one wins (?a=1&a=2 → {\"a\":\"2\"}). Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			_, r := ping(ctx, t, request{RawURL: apiURL(t, "hello/ping", nil) + "?a=1&a=2"})
			expectArgs(t, r, `{"a":"2"}`)
		},
	}, {
		ID:          "afb/1.2/3",
		Title:       "GET hello/ping?flag (no value): the verb gets {\"flag\":null}",
		Level:       compat,
		Requirement: "A parameter with no value becomes null. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			_, r := ping(ctx, t, request{RawURL: apiURL(t, "hello/ping", nil) + "?flag"})
			expectArgs(t, r, `{"flag":null}`)
		},
	}, {
		ID:          "afb/1.2/4",
		Title:       "POST hello/ping?q=1 with application/json {\"j\":[1,\"x\"]}: the verb gets exactly the body",
		Level:       must,
		Requirement: "V6-2019+: the application/json body is parsed, and the resulting JSON value replaces the args. Query args are then ignored. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			_, r := ping(ctx, t, request{Method: http.MethodPost, Query: url.Values{"q": {"1"}},
				Type: "application/json", Body: []byte(`{"j":[1,"x"]}`)})
			expectArgs(t, r, `{"j":[1,"x"]}`)
		},
	}, {
		ID:          "afb/1.2/5",
		Title:       "POST hello/ping with application/x-www-form-urlencoded gives 415 with an empty body",
		Level:       must,
		Requirement: "Anything else [than multipart/form-data or application/json], including application/x-www-form-urlencoded, gets 415 Unsupported Media Type, empty body.",
		Run: func(ctx context.Context, t *conformance.T) {
			r := do(ctx, t, request{Method: http.MethodPost, Path: "hello/ping",
				Type: "application/x-www-form-urlencoded", Body: []byte("a=1")})
			expectEmpty(t, r, http.StatusUnsupportedMediaType)
		},
	}, {
		ID:          "afb/1.2/6",
		Title:       "POST hello/ping with invalid application/json gives 400",
		Level:       should,
		Requirement: "If the JSON is invalid, V6-2019 tries to queue a 400 and the connection hangs (an upstream bug). A new implementation should reply 400.",
		Run: func(ctx context.Context, t *conformance.T) {
			r := do(ctx, t, request{Method: http.MethodPost, Path: "hello/ping", Type: "application/json", Body: []byte(`{"j":`)})
			if r.Status != http.StatusBadRequest {
				t.Failf("400 Bad Request", "HTTP %d %.100q", r.Status, r.Body)
			}
		},
	}, {
		ID:          "afb/1.2/7",
		Title:       "POST hello/ping?q=1 with multipart/form-data field f=v: the verb gets {\"q\":\"1\",\"f\":\"v\"}",
		Level:       compat,
		Requirement: "multipart/form-data: the form fields are added to the query args as strings. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			body := "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n--XyZ--\r\n"
			_, r := ping(ctx, t, request{Method: http.MethodPost, Query: url.Values{"q": {"1"}},
				Type: "multipart/form-data; boundary=XyZ", Body: []byte(body)})
			expectArgs(t, r, `{"q":"1","f":"v"}`)
		},
	}}
}

func statusCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "afb/1.5/1",
		Title:       "GET hello/pingfail: 200 OK carrying status \"failed\"",
		Level:       compat,
		Requirement: "API replies in V1-2016, V6-2019 (and AGL-final, but for invalid-token and insufficient-scope): always 200 OK, including failures (status in the JSON carries the error). Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			resp, r := call(ctx, t, request{Path: "hello/pingfail"})
			skipUnknownAPI(t, r, "hello")
			expectStatus(t, r, "failed")
			if resp.Status != http.StatusOK {
				t.Failf("200 OK", "HTTP %d", resp.Status)
			}
		},
	}, {
		ID:          "afb/1.5/2",
		Title:       "GET auth/check on a fresh session (LOA 0): 200 OK carrying denied / invalid LOA",
		Level:       compat,
		Profiles:    v6Only,
		Requirement: "V6-2019: API replies are always 200 OK; an LOA failure is status denied, info \"invalid LOA\". Needs the auth sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			resp, r := call(ctx, t, request{Path: "auth/check", Query: tokenQuery(t)})
			skipUnknownAPI(t, r, "auth")
			if r.Status != "denied" || r.Info != "invalid LOA" || resp.Status != http.StatusOK {
				t.Failf(`HTTP 200, status "denied", info "invalid LOA"`, "HTTP %d %s", resp.Status, r.brief())
			}
		},
	}, {
		ID:          "afb/1.5/3",
		Title:       `GET auth/check on a fresh session (LOA 0): 403, WWW-Authenticate: error="insufficient_scope", insufficient-scope / invalid LOA`,
		Level:       must,
		Profiles:    finalLike,
		Requirement: `AGL-final: insufficient-scope → 403 with WWW-Authenticate: error="insufficient_scope"; the LOA failure becomes insufficient-scope / invalid LOA. libafb: 401 or 403 as above. Needs the auth sample binding.`,
		Run: func(ctx context.Context, t *conformance.T) {
			resp, r := call(ctx, t, request{Path: "auth/check", Query: tokenQuery(t)})
			skipUnknownAPI(t, r, "auth")
			expectAuthError(t, resp, r, http.StatusForbidden, `error="insufficient_scope"`, "insufficient-scope", "invalid LOA")
		},
	}, {
		ID:          "afb/1.5/4",
		Title:       `GET auth/connect with the rejected token: 401, WWW-Authenticate: error="invalid_token", invalid-token / invalid token`,
		Level:       must,
		Profiles:    finalLike,
		Requirement: `AGL-final: invalid-token → 401 with WWW-Authenticate: error="invalid_token"; the token failure becomes invalid-token / invalid token. libafb: 401 or 403 as above. Needs the auth sample binding and the badtoken param.`,
		Run: func(ctx context.Context, t *conformance.T) {
			bad, status, info := rejected(t)
			resp, r := call(ctx, t, request{Path: "auth/connect", Query: url.Values{"uuid": {newID("s-")}, "token": {bad}}})
			skipUnknownAPI(t, r, "auth")
			expectAuthError(t, resp, r, http.StatusUnauthorized, `error="invalid_token"`, status, info)
		},
	}, {
		ID:          "afb/1.5/5",
		Title:       "GET /api/<unknown api>/ping and /api/hello/<unknown verb>: 404 carrying the afb-reply",
		Level:       must,
		Profiles:    libafbOnly,
		Requirement: "libafb: 404 for unknown-api/unknown-verb. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			resp, r := call(ctx, t, request{Path: newID("noapi") + "/ping"})
			if resp.Status != http.StatusNotFound || r.Status != "unknown-api" {
				t.Failf(`HTTP 404, status "unknown-api"`, "HTTP %d %s", resp.Status, r.brief())
			}
			resp, r = call(ctx, t, request{Path: "hello/" + newID("noverb")})
			skipUnknownAPI(t, r, "hello")
			if resp.Status != http.StatusNotFound || r.Status != "unknown-verb" {
				t.Failf(`HTTP 404, status "unknown-verb"`, "HTTP %d %s", resp.Status, r.brief())
			}
		},
	}}
}

// expectAuthError fails unless resp is code with WWW-Authenticate auth and
// r has status and info.
func expectAuthError(t *conformance.T, resp *response, r *reply, code int, auth, status, info string) {
	if resp.Status != code || resp.Header.Get("WWW-Authenticate") != auth || r.Status != status || r.Info != info {
		t.Failf(fmt.Sprintf(`HTTP %d, WWW-Authenticate: %s, status %q, info %q`, code, auth, status, info),
			"HTTP %d, WWW-Authenticate: %q, %s", resp.Status, resp.Header.Get("WWW-Authenticate"), r.brief())
	}
}
