package loopsuite

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// Section 3: Hawk.

// hawkRoute is a route that needs a Hawk session in every profile and
// answers 200 with a JSON body.
const hawkRoute = "/calls?version=0"

func hawkCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "loop/3.1/1",
		Title:       `Authorization: Hawk MALFORMED gets 400 errno 110 with the Boom payload "Bad header format"`,
		Level:       must,
		Requirement: "A Hawk header that does not parse is a 400 from the Hawk library; Loop sends its Boom payload as the error.",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			r, _ := s.doWith(ctx, t, "GET", hawkRoute, nil, signOpts{override: "Hawk MALFORMED"}, nil)
			expectHawkError(t, r, 400, `{"statusCode":400,"error":"Bad Request","message":"Bad header format"}`, "")
		},
	}, {
		ID:          "loop/3.1/2",
		Title:       `a Hawk header without mac gets 400 errno 110 "Missing attributes"`,
		Level:       must,
		Requirement: "id, ts, nonce and mac are required attributes; a header without one is a 400 \"Missing attributes\".",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			h := fmt.Sprintf(`Hawk id="%s", ts="%d", nonce="abc"`, s.creds.id, now())
			r, _ := s.doWith(ctx, t, "GET", hawkRoute, nil, signOpts{override: h}, nil)
			expectHawkError(t, r, 400, `{"statusCode":400,"error":"Bad Request","message":"Missing attributes"}`, "")
		},
	}, {
		ID:          "loop/3.1/3",
		Title:       `a Hawk header with an unknown attribute gets 400 errno 110 "Unknown attribute: foo"`,
		Level:       must,
		Requirement: "Attribute names are id, ts, nonce, hash, ext, mac, app and dlg; any other is refused by name.",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			r, _ := s.doWith(ctx, t, "GET", hawkRoute, nil, signOpts{override: fmt.Sprintf(
				`Hawk id="%s", ts="%d", nonce="abc", foo="bar", mac="x"`, s.creds.id, now())}, nil)
			expectHawkError(t, r, 400, `{"statusCode":400,"error":"Bad Request","message":"Unknown attribute: foo"}`, "")
		},
	}, {
		ID:          "loop/3.2/1",
		Title:       "a request carrying a correct payload hash is accepted",
		Level:       must,
		Requirement: "The payload hash is optional; a client may include it (hawk.1.payload over the content type without parameters and the body).",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			r, _ := s.doWith(ctx, t, "POST", "/registration", map[string]any{"simplePushURL": discardPush}, signOpts{hash: true},
				http.Header{"Content-Type": {"application/json; charset=utf-8"}})
			r.ExpectStatus(t, "HTTP 200 (hash accepted)", http.StatusOK)
		},
	}, {
		ID:          "loop/3.3/1",
		Title:       "no Authorization on a Hawk route gets 401 errno 110, WWW-Authenticate: Hawk, error {statusCode 401, error Unauthorized}",
		Level:       must,
		Requirement: "Without an Authorization header the Hawk library challenges: 401 with WWW-Authenticate: Hawk and a Boom payload without a message.",
		Run: func(ctx context.Context, t *conformance.T) {
			r := anon(ctx, t, "GET", hawkRoute, nil, nil)
			expectHawkError(t, r, 401, `{"statusCode":401,"error":"Unauthorized"}`, "Hawk")
		},
	}, {
		ID:          "loop/3.3/2",
		Title:       `a wrong MAC gets 401 errno 110 "Bad mac" with WWW-Authenticate: Hawk error="Bad mac"`,
		Level:       must,
		Requirement: "The request MAC is recomputed under the session key and compared; a mismatch is a 401 \"Bad mac\".",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			wrong := append([]byte(nil), s.creds.key...)
			wrong[0] ^= 1
			r, _ := s.doWith(ctx, t, "GET", hawkRoute, nil, signOpts{key: wrong}, nil)
			expectHawkError(t, r, 401, boomBody("Bad mac"), `Hawk error="Bad mac"`)
		},
	}, {
		ID:          "loop/3.3/3",
		Title:       `an unknown Hawk id gets 401 errno 110 "Unknown credentials"`,
		Level:       must,
		Requirement: "A Hawk id with no session is a 401 \"Unknown credentials\".",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			other := strings.Repeat("0", 64)
			r, _ := s.doWith(ctx, t, "GET", hawkRoute, nil, signOpts{id: other}, nil)
			expectHawkError(t, r, 401, boomBody("Unknown credentials"), `Hawk error="Unknown credentials"`)
		},
	}, {
		ID:          "loop/3.3/4",
		Title:       "another scheme (Basic) on a Hawk route is challenged like a missing header",
		Level:       must,
		Requirement: "A scheme other than Hawk is treated as no Hawk header: 401, WWW-Authenticate: Hawk, no message.",
		Run: func(ctx context.Context, t *conformance.T) {
			r := anon(ctx, t, "GET", hawkRoute, nil, http.Header{"Authorization": {"Basic Zm9vOmJhcg=="}})
			expectHawkError(t, r, 401, `{"statusCode":401,"error":"Unauthorized"}`, "Hawk")
		},
	}, {
		ID:          "loop/3.3/5",
		Title:       "the MAC covers the query string: a request signed for version=1 and sent with version=2 is a Bad mac",
		Level:       must,
		Requirement: "The normalized string carries the request-target, path and query, as sent.",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			u := base(t) + "/calls?version=1"
			auth, _ := s.creds.sign("GET", mustURL(t, u), "", nil, signOpts{})
			r := kit.Do(ctx, t, kit.Request{URL: base(t) + "/calls?version=2", Header: http.Header{"Authorization": {auth}}})
			expectHawkError(t, r, 401, boomBody("Bad mac"), `Hawk error="Bad mac"`)
		},
	}, staleCase("loop/3.4/1", "five minutes behind", -5*time.Minute), staleCase("loop/3.4/2", "five minutes ahead", 5*time.Minute), {
		ID:          "loop/3.4/3",
		Title:       "a timestamp 40 s off either way is accepted",
		Level:       must,
		Requirement: "The allowed clock skew is ±60 s.",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			for _, d := range []time.Duration{-40 * time.Second, 40 * time.Second} {
				r, _ := s.doWith(ctx, t, "GET", hawkRoute, nil, signOpts{skew: d}, nil)
				r.ExpectStatus(t, fmt.Sprintf("HTTP 200 for a timestamp %v off", d), http.StatusOK)
			}
		},
	}, {
		ID:          "loop/3.5/1",
		Title:       `the same signed request sent twice: the second gets 401 "Invalid nonce"`,
		Level:       should,
		Requirement: "A server should refuse a nonce already used with the same id and timestamp (upstream loop-server did not check nonces).",
		Run: func(ctx context.Context, t *conformance.T) {
			if v, ok := t.ParamBool(ParamReplayCheck); !ok || !v {
				t.Skipf("set the %s parameter to true when the target refuses replayed nonces (upstream loop-server accepts them)", ParamReplayCheck)
			}
			s := newSession(ctx, t, nil)
			u := base(t) + hawkRoute
			auth, _ := s.creds.sign("GET", mustURL(t, u), "", nil, signOpts{})
			h := http.Header{"Authorization": {auth}}
			r := kit.Do(ctx, t, kit.Request{URL: u, Header: h})
			r.ExpectStatus(t, "HTTP 200 the first time", http.StatusOK)
			r = kit.Do(ctx, t, kit.Request{URL: u, Header: h})
			expectHawkError(t, r, 401, boomBody("Invalid nonce"), `Hawk error="Invalid nonce"`)
		},
	}, {
		ID:          "loop/3.6/1",
		Title:       "a successful Hawk answer carries Server-Authorization: its MAC and its hash of body and content type verify",
		Level:       must,
		Requirement: "Responses to Hawk requests are signed: Server-Authorization: Hawk mac, hash over the response body and its Content-Type.",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			r, sg := s.doWith(ctx, t, "GET", hawkRoute, nil, signOpts{}, nil)
			r.ExpectStatus(t, "", http.StatusOK)
			v := r.Header.Get("Server-Authorization")
			if v == "" {
				t.Failf("a Server-Authorization header", "none")
			}
			if why := s.creds.checkServerAuthorization(v, sg, r.Header.Get("Content-Type"), r.Body); why != "" {
				t.Failf("a Server-Authorization that verifies", "%s: %q", why, v)
			}
		},
	}, {
		ID:          "loop/3.7/1",
		Title:       "POST /registration without Authorization hands out a Hawk-Session-Token whose derived credentials work",
		Level:       must,
		Requirement: "A new anonymous session's token (32 random bytes, 64 hex) comes in Hawk-Session-Token, exposed to CORS; HKDF-SHA256 of it gives the Hawk id and key.",
		Run: func(ctx context.Context, t *conformance.T) {
			r := anon(ctx, t, "POST", "/registration", nil, nil)
			r.ExpectStatus(t, "HTTP 200", http.StatusOK)
			if e := r.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(strings.ToLower(e), "hawk-session-token") {
				t.Failf("Access-Control-Expose-Headers: Hawk-Session-Token", "Access-Control-Expose-Headers: %q", e)
			}
			s := sessionFrom(t, r)
			r = s.do(ctx, t, "GET", hawkRoute, nil)
			r.ExpectStatus(t, "HTTP 200 with the derived credentials", http.StatusOK)
		},
	}, {
		ID:          "loop/3.7/2",
		Title:       "two new sessions get different tokens, and one session's key does not open the other",
		Level:       must,
		Requirement: "Session tokens are random: each session has its own id and key.",
		Run: func(ctx context.Context, t *conformance.T) {
			a, b := newSession(ctx, t, nil), newSession(ctx, t, nil)
			if a.token == b.token {
				t.Failf("two different tokens", "both %s", a.token)
			}
			r, _ := a.doWith(ctx, t, "GET", hawkRoute, nil, signOpts{id: b.creds.id}, nil)
			expectHawkError(t, r, 401, boomBody("Bad mac"), `Hawk error="Bad mac"`)
		},
	}, {
		ID:          "loop/3.8/1",
		Title:       `POST /registration with an unsupported scheme gets 401 errno 110 "Unsupported" and WWW-Authenticate: BrowserID,Hawk error="Unsupported"`,
		Level:       must,
		Requirement: "The authenticate step accepts the BrowserID and Hawk schemes or none; any other gets 401 errno 110 \"Unsupported\".",
		Run: func(ctx context.Context, t *conformance.T) {
			r := anon(ctx, t, "POST", "/registration", nil, http.Header{"Authorization": {"Basic Zm9vOmJhcg=="}})
			expectError(t, r, 401, 110, "Unsupported")
			r.ExpectHeader(t, "WWW-Authenticate", `BrowserID,Hawk error="Unsupported"`)
		},
	}, {
		ID:          "loop/3.8/2",
		Title:       "POST /registration with a valid Hawk header uses that session: 200 and no new token",
		Level:       must,
		Requirement: "With a Hawk header the authenticate step requires that session; only a request without Authorization creates one.",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			r := s.do(ctx, t, "POST", "/registration", map[string]any{"simplePushURL": discardPush})
			r.ExpectStatus(t, "HTTP 200", http.StatusOK)
			r.ExpectHeader(t, "Hawk-Session-Token", "")
		},
	}, {
		ID:          "loop/3.8/3",
		Title:       "POST /registration with a BrowserID assertion creates a session of a registered user",
		Level:       must,
		Requirement: "A verified BrowserID assertion creates a Hawk session linked to the identity; its token comes in Hawk-Session-Token.",
		Run: func(ctx context.Context, t *conformance.T) {
			s, _ := registered(ctx, t, "")
			r := s.do(ctx, t, "GET", hawkRoute, nil)
			r.ExpectStatus(t, "HTTP 200 with the new session", http.StatusOK)
		},
	}, {
		ID:          "loop/3.8/4",
		Title:       "an anonymous session on a registered-user route (DELETE /session) gets 403 errno 110",
		Level:       must,
		Requirement: `Routes for registered users answer an anonymous session 403 errno 110 "You should be a registered user to perform this action."`,
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			r := s.do(ctx, t, "DELETE", "/session", nil)
			expectError(t, r, 403, 110, "You should be a registered user to perform this action.")
		},
	}, {
		ID:          "loop/3.8/5",
		Title:       "POST /registration with a BrowserID assertion the verifier refuses gets 401 errno 110",
		Level:       must,
		Requirement: "An assertion that does not verify is refused with 401 errno 110 and no session.",
		Run: func(ctx context.Context, t *conformance.T) {
			assertion(t) // skips without the parameter
			r := anon(ctx, t, "POST", "/registration", nil, http.Header{"Authorization": {"BrowserID not-an-assertion"}})
			r.ExpectStatus(t, "HTTP 401", http.StatusUnauthorized)
			m := object(t, r, `{"code":401,"errno":110,...}`)
			if n, _ := num(m, "errno"); n != 110 {
				t.Failf("errno 110", "%s", r.Brief())
			}
			r.ExpectHeader(t, "Hawk-Session-Token", "")
		},
	}}
}

// staleCase: a timestamp off by d gets the stale answer with a time
// correction whose MAC verifies under the session key.
func staleCase(id, what string, d time.Duration) conformance.Case {
	return conformance.Case{
		ID:          id,
		Title:       "a timestamp " + what + ` gets 401 "Stale timestamp" with the server's ts and its tsm`,
		Level:       must,
		Requirement: `A timestamp more than 60 s from the server's clock is a 401 "Stale timestamp"; the challenge carries ts (server time) and tsm (its MAC) so the client can correct its clock.`,
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			r, _ := s.doWith(ctx, t, "GET", hawkRoute, nil, signOpts{skew: d}, nil)
			r.ExpectStatus(t, "HTTP 401 (stale)", http.StatusUnauthorized)
			ch := r.Header.Get("WWW-Authenticate")
			attrs, ok := parseChallenge(ch)
			if !ok || attrs["error"] != "Stale timestamp" {
				t.Failf(`WWW-Authenticate: Hawk ts="…", tsm="…", error="Stale timestamp"`, "WWW-Authenticate: %q", ch)
			}
			ts, err := strconv.ParseInt(attrs["ts"], 10, 64)
			if err != nil {
				t.Failf("a ts attribute in unix seconds", "WWW-Authenticate: %q", ch)
			}
			near(t, "ts", ts, now(), 30)
			if !hmac.Equal([]byte(tsMAC(s.creds.key, attrs["ts"])), []byte(attrs["tsm"])) {
				t.Failf("tsm = MAC of hawk.1.ts under the session key", "WWW-Authenticate: %q", ch)
			}
			var body struct {
				Code  int `json:"code"`
				Errno int `json:"errno"`
				Error struct {
					StatusCode int    `json:"statusCode"`
					Message    string `json:"message"`
					Attributes struct {
						TS    json.Number `json:"ts"`
						TSM   string      `json:"tsm"`
						Error string      `json:"error"`
					} `json:"attributes"`
				} `json:"error"`
			}
			if err := json.Unmarshal(r.Body, &body); err != nil || body.Code != 401 || body.Errno != 110 ||
				body.Error.StatusCode != 401 || body.Error.Message != "Stale timestamp" ||
				body.Error.Attributes.TS.String() != attrs["ts"] || body.Error.Attributes.TSM != attrs["tsm"] ||
				body.Error.Attributes.Error != "Stale timestamp" {
				t.Failf(`{"code":401,"errno":110,"error":{"statusCode":401,...,"message":"Stale timestamp","attributes":{"ts":<number>,"tsm":…,"error":"Stale timestamp"}}}`, "%s", r.Brief())
			}
		},
	}
}
