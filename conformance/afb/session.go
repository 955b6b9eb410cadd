package afb

import (
	"context"
	"net/http"
	"net/url"
	"regexp"

	"github.com/appwire/appwire/conformance"
)

// Spec §1.3, §1.4, §3.2 and §3.3: where the session uuid, token and reqid
// come from, the session cookie, and what replies send back.

// sessionOf pings hello with req and returns the uuid of the session the
// request used, read from the session cookie (set by a request that
// created its session in every profile).
func sessionOf(ctx context.Context, t *conformance.T, req request) string {
	resp, _ := ping(ctx, t, req)
	c := sessionCookie(t, resp)
	if c == nil {
		t.Failf("Set-Cookie: "+cookieName(t)+"=<uuid> on the request that created the session", "no such cookie")
	}
	return c.Value
}

// expectSession fails unless the request req used the session want.
func expectSession(ctx context.Context, t *conformance.T, req request, want, why string) {
	if got := sessionOf(ctx, t, req); got != want {
		t.Failf("the session uuid "+want+" ("+why+")", "the session uuid is %q", got)
	}
}

func cookieHeader(t *conformance.T, uuid string) http.Header {
	return http.Header{"Cookie": {cookieName(t) + "=" + uuid}}
}

var uuidText = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func inputCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "afb/1.3/1",
		Title:       "header x-afb-uuid: A with ?x-afb-uuid=B: the session is A",
		Level:       must,
		Requirement: "uuid (session id), first one found wins: header x-afb-uuid → argument x-afb-uuid → cookie x-afb-uuid-<PORT> → argument uuid. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			a, b := newID("hdr-"), newID("arg-")
			expectSession(ctx, t, request{Header: http.Header{"X-Afb-Uuid": {a}}, Query: url.Values{"x-afb-uuid": {b}}},
				a, "the header beats the argument")
		},
	}, {
		ID:          "afb/1.3/2",
		Title:       "?x-afb-uuid=B with the session cookie C: the session is B",
		Level:       must,
		Requirement: "uuid (session id), first one found wins: header x-afb-uuid → argument x-afb-uuid → cookie x-afb-uuid-<PORT> → argument uuid. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			b, c := newID("arg-"), newID("ck-")
			expectSession(ctx, t, request{Header: cookieHeader(t, c), Query: url.Values{"x-afb-uuid": {b}}},
				b, "the x-afb-uuid argument beats the cookie")
		},
	}, {
		ID:          "afb/1.3/3",
		Title:       "session cookie C with ?uuid=D: the session is C",
		Level:       must,
		Requirement: "uuid (session id), first one found wins: header x-afb-uuid → argument x-afb-uuid → cookie x-afb-uuid-<PORT> → argument uuid. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			c, d := newID("ck-"), newID("uuid-")
			expectSession(ctx, t, request{Header: cookieHeader(t, c), Query: url.Values{"uuid": {d}}},
				c, "the cookie beats the uuid argument")
		},
	}, {
		ID:          "afb/1.3/4",
		Title:       "auth/connect with header x-afb-token and ?token: only the header's token counts",
		Level:       must,
		Requirement: "token: header x-afb-token → argument x-afb-token → argument token. Needs the auth sample binding (and, in the final and libafb profiles, the badtoken param).",
		Run: func(ctx context.Context, t *conformance.T) {
			tokenOrder(ctx, t, func(first, second string) request {
				return request{Header: http.Header{"X-Afb-Token": {first}}, Query: url.Values{"token": {second}}}
			})
		},
	}, {
		ID:          "afb/1.3/5",
		Title:       "auth/connect with ?x-afb-token and ?token: only x-afb-token counts",
		Level:       must,
		Requirement: "token: header x-afb-token → argument x-afb-token → argument token. Needs the auth sample binding (and, in the final and libafb profiles, the badtoken param).",
		Run: func(ctx context.Context, t *conformance.T) {
			tokenOrder(ctx, t, func(first, second string) request {
				return request{Query: url.Values{"x-afb-token": {first}, "token": {second}}}
			})
		},
	}, {
		ID:          "afb/1.3/6",
		Title:       "?reqid=R42 is echoed as request.reqid; ?x-afb-reqid=A&reqid=B echoes A",
		Level:       must,
		Profiles:    jsonC,
		Requirement: "reqid: argument x-afb-reqid → argument reqid. When a reqid is present, its value is echoed as request.reqid (libafb's hand-built reply, spec §2.1, has no reqid member). Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			if _, r := ping(ctx, t, request{Query: url.Values{"reqid": {"R42"}}}); r.get("reqid") != "R42" {
				t.Failf(`request.reqid "R42"`, "%s", r.brief())
			}
			if _, r := ping(ctx, t, request{Query: url.Values{"x-afb-reqid": {"A"}, "reqid": {"B"}}}); r.get("reqid") != "A" {
				t.Failf(`request.reqid "A" (x-afb-reqid beats reqid)`, "%s", r.brief())
			}
		},
	}, {
		ID:          "afb/1.3/7",
		Title:       "header x-afb-reqid: H is not echoed (the header is not read)",
		Level:       compat,
		Requirement: "The x-afb-reqid header is NOT read in any version. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			if _, r := ping(ctx, t, request{Header: http.Header{"X-Afb-Reqid": {"H"}}}); r.has("reqid") {
				t.Failf("no request.reqid", "%s", r.brief())
			}
		},
	}, {
		ID:          "afb/1.3/8",
		Title:       "auth/connect with Authorization: Bearer and ?access_token: only the Bearer token counts",
		Level:       must,
		Profiles:    finalLike,
		Requirement: "AGL-final and libafb first try Authorization: Bearer <tok>, then argument access_token, then the three above. Needs the auth sample binding and the badtoken param.",
		Run: func(ctx context.Context, t *conformance.T) {
			tokenOrder(ctx, t, func(first, second string) request {
				return request{Header: http.Header{"Authorization": {"Bearer " + first}}, Query: url.Values{"access_token": {second}}}
			})
		},
	}, {
		ID:          "afb/1.3/9",
		Title:       "auth/connect with ?access_token and header x-afb-token: only access_token counts",
		Level:       must,
		Profiles:    finalLike,
		Requirement: "AGL-final and libafb first try Authorization: Bearer <tok>, then argument access_token, then the three above (header x-afb-token first). Needs the auth sample binding and the badtoken param.",
		Run: func(ctx context.Context, t *conformance.T) {
			tokenOrder(ctx, t, func(first, second string) request {
				return request{Header: http.Header{"X-Afb-Token": {second}}, Query: url.Values{"access_token": {first}}}
			})
		},
	}}
}

// tokenOrder checks a token precedence on two fresh sessions: mk(first,
// second) must be judged by its first token only.
func tokenOrder(ctx context.Context, t *conformance.T, mk func(first, second string) request) {
	bad, status, _ := rejected(t)
	good := token(t)
	req := mk(bad, good)
	req.Path = "auth/connect"
	_, r := call(ctx, t, req)
	skipUnknownAPI(t, r, "auth")
	if r.Status != status {
		t.Failf(`status "`+status+`": the rejected token comes first`, "%s", r.brief())
	}
	req = mk(good, bad)
	req.Path = "auth/connect"
	_, r = call(ctx, t, req)
	expectStatus(t, r, "success")
}

func cookieCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "afb/1.4/1",
		Title:       "a request creating a session gets Set-Cookie x-afb-uuid-<PORT>=<uuid>; Path=<rootapi>; Max-Age=<N>; HttpOnly",
		Level:       must,
		Requirement: "Set-Cookie: x-afb-uuid-<PORT>=<uuid>; Path=<rootapi>; Max-Age=<N>; HttpOnly. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			resp, _ := ping(ctx, t, request{})
			c := sessionCookie(t, resp)
			want := "Set-Cookie: " + cookieName(t) + "=<uuid>; Path=" + root(t).Path + "; Max-Age=<N>; HttpOnly"
			if c == nil || c.Value == "" || c.Path != root(t).Path || c.MaxAge <= 0 || !c.HttpOnly {
				t.Failf(want, "Set-Cookie: %q", resp.Header.Values("Set-Cookie"))
			}
		},
	}, {
		ID:          "afb/1.4/2",
		Title:       "a request sending the session cookie back gets no Set-Cookie",
		Level:       compat,
		Profiles:    v6Only,
		Requirement: "V1/V6: the cookie is sent only when the request created the session. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := sessionOf(ctx, t, request{})
			resp, _ := ping(ctx, t, request{Header: cookieHeader(t, u)})
			if v := resp.Header.Values("Set-Cookie"); len(v) > 0 {
				t.Failf("no Set-Cookie on a request of an existing session", "Set-Cookie: %q", v)
			}
		},
	}, {
		ID:          "afb/1.4/3",
		Title:       "a request sending the session cookie back gets Set-Cookie for that session again",
		Level:       compat,
		Profiles:    finalOnly,
		Requirement: "AGL-final sends it [the session cookie] on every reply. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := sessionOf(ctx, t, request{})
			resp, _ := ping(ctx, t, request{Header: cookieHeader(t, u)})
			if c := sessionCookie(t, resp); c == nil || c.Value != u {
				t.Failf("Set-Cookie: "+cookieName(t)+"="+u+"; ...", "Set-Cookie: %q", resp.Header.Values("Set-Cookie"))
			}
		},
	}, {
		ID:          "afb/1.4/4",
		Title:       "the session cookie carries SameSite=Lax",
		Level:       compat,
		Profiles:    libafbOnly,
		Requirement: "libafb adds ; SameSite=Lax; to Set-Cookie: x-afb-uuid-<PORT>=<uuid>; Path=<rootapi>; Max-Age=<N>; HttpOnly. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			resp, _ := ping(ctx, t, request{})
			if c := sessionCookie(t, resp); c == nil || c.SameSite != http.SameSiteLaxMode || !c.HttpOnly {
				t.Failf("Set-Cookie: "+cookieName(t)+"=<uuid>; Path=...; Max-Age=<N>; HttpOnly; SameSite=Lax;", "Set-Cookie: %q", resp.Header.Values("Set-Cookie"))
			}
		},
	}}
}

func sessionCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "afb/3.2/1",
		Title:       "a request with no uuid gets a new session named by a 36-char lowercase uuid",
		Level:       must,
		Requirement: "With no uuid given, a new session is created with a fresh uuid (36-char lowercase uuid text). Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			if u := sessionOf(ctx, t, request{}); !uuidText.MatchString(u) {
				t.Failf("a lowercase uuid like 047c82bd-3d87-41db-92d3-b02fee715259", "%q", u)
			}
		},
	}, {
		ID:          "afb/3.2/2",
		Title:       "?uuid=<unknown id> creates the session with that client-chosen uuid",
		Level:       must,
		Requirement: "With a uuid that is unknown or expired, a new session is created with that client-chosen uuid. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := newID("my-own-id-")
			expectSession(ctx, t, request{Query: url.Values{"uuid": {u}}}, u, "chosen by the client")
		},
	}, {
		ID:          "afb/3.2/3",
		Title:       "?uuid=<40 chars> gives HTTP 500",
		Level:       compat,
		Requirement: "A uuid of 37 chars or more cannot be stored, and the reply is HTTP 500 (observed with 40 chars). Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := newID("long-uuid-") + "0123456789abcd" // 10+16+14 = 40
			resp := do(ctx, t, request{Path: "hello/ping", Query: url.Values{"uuid": {u}}})
			if resp.Status != http.StatusInternalServerError {
				t.Failf("500 Internal Server Error", "HTTP %d %.200s", resp.Status, resp.Body)
			}
		},
	}}
}

func sentBackCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "afb/3.3/1",
		Title:       "?uuid=U: request.uuid is U on the request creating the session, absent on the next",
		Level:       compat,
		Profiles:    v6Only,
		Requirement: "request.uuid (and Set-Cookie on HTTP) only when this request created the session. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := newID("sess-")
			q := url.Values{"uuid": {u}}
			if _, r := ping(ctx, t, request{Query: q}); r.get("uuid") != u {
				t.Failf("request.uuid "+u+" on the first request", "%s", r.brief())
			}
			if _, r := ping(ctx, t, request{Query: q}); r.has("uuid") {
				t.Failf("no request.uuid on the second request", "%s", r.brief())
			}
		},
	}, {
		ID:          "afb/3.3/2",
		Title:       "request.token is absent from hello/ping and present (new) in auth/connect",
		Level:       compat,
		Profiles:    v6Only,
		Requirement: "request.token only when the request refreshed the token (verb flag RENEW/REFRESH). The new value is a fresh uuid. Needs the auth and hello sample bindings.",
		Run: func(ctx context.Context, t *conformance.T) {
			if _, r := ping(ctx, t, request{Query: tokenQuery(t)}); r.has("token") {
				t.Failf("no request.token from hello/ping", "%s", r.brief())
			}
			_, r := connect(ctx, t, newID("s-"))
			if tok := r.get("token"); tok == "" || tok == token(t) {
				t.Failf("request.token: a fresh token from auth/connect", "%s", r.brief())
			}
		},
	}, {
		ID:          "afb/3.3/3",
		Title:       "neither hello/ping creating a session nor auth/connect returns request.token or request.uuid",
		Level:       compat,
		Profiles:    finalLike,
		Requirement: "AGL-final: status, info and, on HTTP, reqid. No token, no uuid (libafb likewise). Needs the auth and hello sample bindings.",
		Run: func(ctx context.Context, t *conformance.T) {
			_, r := ping(ctx, t, request{})
			_, c := connect(ctx, t, newID("s-"))
			for _, x := range []*reply{r, c} {
				if x.has("token") || x.has("uuid") {
					t.Failf("no request.token and no request.uuid", "%s", x.brief())
				}
			}
		},
	}}
}
