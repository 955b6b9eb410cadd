package spsuite

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// Spec section 4: the app server's PUT to a pushEndpoint.

// flip returns tok with one character near its middle replaced by another
// of the same class.
func flip(tok string) string {
	if tok == "" {
		return "x"
	}
	b := []byte(tok)
	i := len(b) / 2
	switch c := b[i]; {
	case c == 'a':
		b[i] = 'b'
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '1' && c <= '9':
		b[i] = c - 1
	default:
		b[i] = 'a'
	}
	return string(b)
}

// commonPrefix and commonSuffix measure how much two tokens share.
func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func commonSuffix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}

// maxShared is how many leading or trailing characters two tokens of one
// user agent may share before they look related.
const maxShared = 8

func endpointCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "simplepush/4/1",
		Title:       "PUT version=N to the endpoint of a connected user agent gives 200 and delivers N",
		Level:       must,
		Requirement: "Method: PUT. Body: application/x-www-form-urlencoded, version=N. pushgo: 200 {} delivered to a connected socket.",
		Run: func(ctx context.Context, t *conformance.T) {
			u, chid, ep := registered(ctx, t)
			defer u.Close()
			expectPut(ctx, t, ep, "version=41", "HTTP 200 (delivered)", 200)
			u.waitVersion(chid, 41)
		},
	}, {
		ID:          "simplepush/4/2",
		Title:       "PUT to the endpoint of a user agent that is away gives 202",
		Level:       must,
		Requirement: "pushgo: 202 {} stored but not delivered; autopush 202 \"Notification Stored\".",
		Run: func(ctx context.Context, t *conformance.T) {
			_, _, ep := away(ctx, t)
			expectPut(ctx, t, ep, "version=1", "HTTP 202 (stored)", 202)
		},
	}, {
		ID:          "simplepush/4/3",
		Title:       "POST and GET to an endpoint give 405",
		Level:       must,
		Requirement: `Method: PUT (pushgo returns 405 "Method Not Allowed" otherwise).`,
		Run: func(ctx context.Context, t *conformance.T) {
			u, chid, ep := registered(ctx, t)
			defer u.Close()
			for _, m := range []string{http.MethodPost, http.MethodGet} {
				body := "version=2"
				if m == http.MethodGet {
					body = ""
				}
				if r := send(ctx, t, putReq{Method: m, URL: ep, Body: body}); r.Status != http.StatusMethodNotAllowed {
					t.Failf(m+": HTTP 405", "HTTP %d %.200s", r.Status, r.Body)
				}
			}
			u.noUpdate(chid, "no notification from a refused request")
		},
	}, {
		ID:          "simplepush/4/4",
		Title:       "PUT to an endpoint whose token is garbage gives 404",
		Level:       must,
		Requirement: `pushgo: 404 "Invalid Token" bad/undecodable token.`,
		Run: func(ctx context.Context, t *conformance.T) {
			u, _, ep := registered(ctx, t)
			defer u.Close()
			for _, tok := range []string{"not-a-token", "AAAA", strings.Repeat("Zz9", 40)} {
				expectPut(ctx, t, withToken(ep, tok), "version=1", "HTTP 404 for token "+tok, 404)
			}
		},
	}, {
		ID:          "simplepush/4/5",
		Title:       "PUT to an endpoint with one token character changed gives 404",
		Level:       should,
		Requirement: "Unguessable SimplePush endpoints (encrypted or signed tokens): an altered token is a bad token → 404.",
		Run: func(ctx context.Context, t *conformance.T) {
			u, chid, ep := registered(ctx, t)
			defer u.Close()
			bad := withToken(ep, flip(token(ep)))
			expectPut(ctx, t, bad, "version=1", "HTTP 404 (altered token)", 404)
			u.noUpdate(chid, "no notification through an altered token")
		},
	}, {
		ID:          "simplepush/4/6",
		Title:       `PUT version=abc, -5 or 1.5 gives 400`,
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: `Non-integer or negative version → pushgo 400 "Invalid Version". autopush ignores such a version and uses the time instead, so this is pushgo's behaviour.`,
		Run: func(ctx context.Context, t *conformance.T) {
			u, chid, ep := registered(ctx, t)
			defer u.Close()
			for _, v := range []string{"abc", "-5", "1.5"} {
				expectPut(ctx, t, ep, "version="+url.QueryEscape(v), "HTTP 400 for version "+v, 400)
			}
			u.noUpdate(chid, "no notification from a refused PUT")
		},
	}, {
		ID:          "simplepush/4/7",
		Title:       "PUT with 4097 bytes of data gives 413; with 4096 it is delivered",
		Level:       must,
		Requirement: `data: optional, max 4096 bytes by default in both; over → pushgo 413 "Data exceeds max length of 4096 bytes".`,
		Run: func(ctx context.Context, t *conformance.T) {
			u, chid, ep := registered(ctx, t)
			defer u.Close()
			expectPut(ctx, t, ep, "version=1&data="+strings.Repeat("x", 4097), "HTTP 413", 413)
			expectPut(ctx, t, ep, "version=2&data="+strings.Repeat("y", 4096), "HTTP 200 (delivered)", 200)
			if up := u.waitVersion(chid, 2); up.Data == nil || len(*up.Data) != 4096 {
				t.Failf("the 4096 bytes of data delivered", "data missing or cut")
			}
		},
	}, {
		ID:          "simplepush/4/8",
		Title:       "PUT version=N without Content-Type is read as a form",
		Level:       must,
		Requirement: "Missing Content-Type is treated as form-encoded (test_deliver_version_without_header).",
		Run: func(ctx context.Context, t *conformance.T) {
			u, chid, ep := registered(ctx, t)
			defer u.Close()
			if r := send(ctx, t, putReq{URL: ep, Body: "version=77", Type: "-"}); r.Status != 200 {
				t.Failf("HTTP 200 (delivered)", "HTTP %d %.200s", r.Status, r.Body)
			}
			u.waitVersion(chid, 77)
		},
	}, {
		ID:          "simplepush/4/9",
		Title:       "PUT without version delivers the server's UTC time in seconds",
		Level:       must,
		Requirement: "Missing/empty version → server UTC time in seconds (S2 MAY presume the version to be the current server UTC; both servers do).",
		Run: func(ctx context.Context, t *conformance.T) {
			u, chid, ep := registered(ctx, t)
			defer u.Close()
			before := time.Now().Unix()
			expectPut(ctx, t, ep, "", "HTTP 200 (delivered)", 200)
			after := time.Now().Unix()
			expect := fmt.Sprintf("a version within 10 minutes of %d (UTC seconds)", before)
			up, m := u.wait(chid, expect)
			v, err := strconv.ParseFloat(string(up.Version), 64)
			if err != nil || int64(v) < before-600 || int64(v) > after+600 {
				t.Failf(expect, "%s", m)
			}
		},
	}, {
		ID:          "simplepush/4/10",
		Title:       "data sent with a PUT reaches a connected user agent",
		Level:       must,
		Requirement: "data is delivered on direct delivery.",
		Run: func(ctx context.Context, t *conformance.T) {
			u, chid, ep := registered(ctx, t)
			defer u.Close()
			expectPut(ctx, t, ep, "version=3&data="+url.QueryEscape("héllo wörld&=1"), "HTTP 200 (delivered)", 200)
			if up := u.waitVersion(chid, 3); up.Data == nil || *up.Data != "héllo wörld&=1" {
				t.Failf(`"data":"héllo wörld&=1"`, "data %v", up.Data)
			}
		},
	}, {
		ID:          "simplepush/4/11",
		Title:       "endpoint tokens do not contain the uaid or channel ID, and two channels' tokens look unrelated",
		Level:       should,
		Requirement: "The URL format is server-private; unguessable SimplePush endpoints (encrypted or signed tokens, not uaid.chid in clear).",
		Run: func(ctx context.Context, t *conformance.T) {
			u := session(ctx, t)
			defer u.Close()
			a, b := newChID(), newChID()
			ta, tb := token(u.register(a)), token(u.register(b))
			for _, tok := range []string{ta, tb} {
				flat := canonical(tok)
				for _, id := range []string{u.uaid, a, b} {
					if strings.Contains(flat, canonical(id)) {
						t.Failf("no identifier in clear in the token", "token %q contains %s", tok, id)
					}
				}
			}
			if p, s := commonPrefix(ta, tb), commonSuffix(ta, tb); p > maxShared || s > maxShared {
				t.Failf(fmt.Sprintf("tokens sharing at most %d leading or trailing characters", maxShared),
					"%q and %q share %d leading and %d trailing", ta, tb, p, s)
			}
		},
	}, {
		ID:          "simplepush/4/12",
		Title:       "PUT to an unregistered channel's endpoint gives 404 or 410",
		Level:       should,
		Requirement: `Recommend 404/410 for unknown chid (README lists "closed channel responses for third party servers" as a missing pushgo feature); autopush 410 when the uaid is gone.`,
		Run: func(ctx context.Context, t *conformance.T) {
			u, chid, ep := registered(ctx, t)
			defer u.Close()
			u.unregister(chid)
			expectPut(ctx, t, ep, "version=1", "HTTP 404 or 410", 404, 410)
		},
	}, {
		ID:          "simplepush/4/13",
		Title:       "PUT with the version in the query string delivers it",
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: "pushgo also reads query params (TestEndpointContentType).",
		Run: func(ctx context.Context, t *conformance.T) {
			u, chid, ep := registered(ctx, t)
			defer u.Close()
			expectPut(ctx, t, ep+"?version=55", "", "HTTP 200 (delivered)", 200)
			u.waitVersion(chid, 55)
		},
	}, {
		ID:          "simplepush/4/14",
		Title:       "the 200 and 202 answers carry the JSON body {}",
		Level:       compat,
		Profiles:    pushgoWire,
		Requirement: "pushgo: 200 {} delivered, 202 {} stored. Recommend pushgo codes and JSON bodies.",
		Run: func(ctx context.Context, t *conformance.T) {
			u, _, ep := registered(ctx, t)
			r := expectPut(ctx, t, ep, "version=1", "HTTP 200", 200)
			if !kit.JSONEqual(r.Body, []byte("{}")) {
				t.Failf("200 with body {}", "body %.200q", r.Body)
			}
			u.Close()
			r = expectPut(ctx, t, ep, "version=2", "HTTP 202", 202)
			if !kit.JSONEqual(r.Body, []byte("{}")) {
				t.Failf("202 with body {}", "body %.200q", r.Body)
			}
		},
	}}
}
