package loopsuite

import (
	"context"
	"net/http"
	"strings"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// Section 4: the endpoints without call URLs (4.1-4.5, 4.13-4.15).

func endpointCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "loop/4.1/1",
		Title:       "GET / describes the server: name, endpoint from the Host header, i18n with the first Accept-Language",
		Level:       must,
		Requirement: `GET / answers 200 {"name" (upstream "mozilla-loop-server"),"description","homepage","endpoint":"<protocol>://<Host>","fakeTokBox","fxaOAuth","i18n":{"defaultLang":"en-US","lang"}}, version unless hidden.`,
		Run: func(ctx context.Context, t *conformance.T) {
			r := kit.Do(ctx, t, kit.Request{URL: base(t) + "/", Header: http.Header{"Accept-Language": {"fr-FR,fr;q=0.8,en;q=0.5"}}})
			r.ExpectStatus(t, "", http.StatusOK)
			var root struct {
				Name       *string `json:"name"`
				Endpoint   *string `json:"endpoint"`
				FakeTokBox *bool   `json:"fakeTokBox"`
				FxaOAuth   *bool   `json:"fxaOAuth"`
				I18n       *struct {
					DefaultLang string `json:"defaultLang"`
					Lang        string `json:"lang"`
				} `json:"i18n"`
			}
			r.JSON(t, &root)
			if root.Name == nil || *root.Name == "" {
				t.Failf(`"name": the server's name (upstream "mozilla-loop-server")`, "%s", r.Brief())
			}
			if root.Endpoint == nil || *root.Endpoint != origin(t) {
				t.Failf(`"endpoint":"`+origin(t)+`"`, "%s", r.Brief())
			}
			if root.FakeTokBox == nil || root.FxaOAuth == nil {
				t.Failf(`booleans "fakeTokBox" and "fxaOAuth"`, "%s", r.Brief())
			}
			if root.I18n == nil || root.I18n.DefaultLang != "en-US" || !strings.HasPrefix(strings.ToLower(root.I18n.Lang), "fr") {
				t.Failf(`"i18n":{"defaultLang":"en-US","lang":"fr-FR"}`, "%s", r.Brief())
			}
		},
	}, {
		ID:          "loop/4.2/1",
		Title:       "GET /__heartbeat__ of a healthy server is 200 with storage and provider true",
		Level:       must,
		Requirement: `GET /__heartbeat__ answers {"storage":bool,"provider":bool,...}: 200 when every dependency is up, 503 otherwise.`,
		Run: func(ctx context.Context, t *conformance.T) {
			r := kit.Do(ctx, t, kit.Request{URL: base(t) + "/__heartbeat__"})
			r.ExpectStatus(t, "HTTP 200 (a healthy target)", http.StatusOK)
			var hb map[string]any
			r.JSON(t, &hb)
			if hb["storage"] != true || hb["provider"] != true {
				t.Failf(`{"storage":true,"provider":true,...}`, "%s", r.Brief())
			}
		},
	}, {
		ID:          "loop/4.3/1",
		Title:       "GET /push-server-config gives the SimplePush server URI",
		Level:       must,
		Requirement: `GET /push-server-config answers 200 {"pushServerURI": one of the configured URIs}.`,
		Run: func(ctx context.Context, t *conformance.T) {
			r := kit.Do(ctx, t, kit.Request{URL: base(t) + "/push-server-config"})
			r.ExpectStatus(t, "", http.StatusOK)
			m := object(t, r, `{"pushServerURI":"ws..."}`)
			keysExactly(t, m, `{"pushServerURI":...}`, "pushServerURI")
			if str(m, "pushServerURI") == "" {
				t.Failf(`"pushServerURI": a URI`, "%s", r.Brief())
			}
		},
	}, {
		ID:          "loop/4.4/1",
		Title:       "POST /registration with a simplePushURL answers 200 with an empty body",
		Level:       must,
		Requirement: "A registration stores the session's push URLs and answers 200 with no body (Content-Length: 0).",
		Run: func(ctx context.Context, t *conformance.T) {
			r := anon(ctx, t, "POST", "/registration", map[string]any{"simplePushURL": discardPush}, nil)
			r.ExpectStatus(t, "", http.StatusOK)
			if len(r.Body) != 0 {
				t.Failf("an empty body", "%s", r.Brief())
			}
			sessionFrom(t, r)
		},
	}, {
		ID:          "loop/4.4/2",
		Title:       `a push URL that does not start with http gets 400 errno 107 "simplePushURLs.calls should be a valid url"`,
		Level:       must,
		Requirement: "Every registered URL must start with http, otherwise 400 errno 107 naming the topic.",
		Run: func(ctx context.Context, t *conformance.T) {
			r := anon(ctx, t, "POST", "/registration", map[string]any{"simplePushURLs": map[string]string{"calls": "ftp://push.example/x"}}, nil)
			expectError(t, r, 400, 107, "simplePushURLs.calls should be a valid url")
		},
	}, {
		ID:          "loop/4.4/3",
		Title:       "the old simple_push_url alias registers the calls URL: a call to the session's URL is not 410",
		Level:       compat,
		Requirement: "simple_push_url is an old alias of simplePushURL.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, map[string]any{"simple_push_url": discardPush})
			cu := createCallURL(ctx, t, s, map[string]any{"callerId": "alias"})
			placeCall(ctx, t, cu.token)
		},
	}, {
		ID:          "loop/4.5/1",
		Title:       "DELETE /registration answers 204; the callee has no calls URL left, so a call gets 410",
		Level:       must,
		Requirement: "DELETE /registration removes this session's push URLs and answers 204 with no body.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			s := callee(ctx, t, "")
			cu := createCallURL(ctx, t, s, map[string]any{"callerId": "x"})
			r := s.do(ctx, t, "DELETE", "/registration", nil)
			r.ExpectStatus(t, "", http.StatusNoContent)
			if len(r.Body) != 0 {
				t.Failf("no body", "%s", r.Brief())
			}
			r = anon(ctx, t, "POST", "/calls/"+cu.token, map[string]any{"callType": "audio"}, nil)
			expectError(t, r, 410, 111, "Gone")
		},
	}, {
		ID:          "loop/4.13/1",
		Title:       "POST /calls by a registered user reaches a registered callee by identity",
		Level:       must,
		Requirement: "A direct call names calleeId (identities); each callee with a calls URL gets a call, listed by GET /calls.",
		Run: func(ctx context.Context, t *conformance.T) {
			caller, _ := registered(ctx, t, "")
			cal, identity := registered(ctx, t, discardPush)
			before := now() - 1
			r := caller.do(ctx, t, "POST", "/calls", map[string]any{"calleeId": []string{identity}, "callType": "audio"})
			r.ExpectStatus(t, "HTTP 200 with the call", http.StatusOK)
			m := object(t, r, "the call's details")
			id := str(m, "callId")
			for _, c := range listCalls(ctx, t, cal, before) {
				if str(c, "callId") == id {
					if str(c, "callType") != "audio" {
						t.Failf(`"callType":"audio"`, "%s", c["callType"])
					}
					return
				}
			}
			t.Failf("the callee's GET /calls lists call "+id, "not listed")
		},
	}, {
		ID:          "loop/4.13/2",
		Title:       `POST /calls to nobody known gets 400 errno 122 "Could not find any existing user to call"`,
		Level:       must,
		Requirement: "When no callee has a calls URL the direct call fails with 400 errno 122.",
		Run: func(ctx context.Context, t *conformance.T) {
			caller, _ := registered(ctx, t, "")
			r := caller.do(ctx, t, "POST", "/calls", map[string]any{"calleeId": kit.NewID("nobody") + "@example.com", "callType": "audio"})
			expectError(t, r, 400, 122, "Could not find any existing user to call")
		},
	}, {
		ID:          "loop/4.13/3",
		Title:       "POST /calls with a subject over 124 characters gets 400 errno 107",
		Level:       must,
		Requirement: "subject is at most calls.maxSubjectSize (124) characters.",
		Run: func(ctx context.Context, t *conformance.T) {
			caller, _ := registered(ctx, t, "")
			_, identity := registered(ctx, t, discardPush)
			r := caller.do(ctx, t, "POST", "/calls", map[string]any{"calleeId": identity, "callType": "audio", "subject": strings.Repeat("s", 125)})
			r.ExpectStatus(t, "HTTP 400 errno 107", http.StatusBadRequest)
			m := object(t, r, `{"code":400,"errno":107,...}`)
			if n, _ := num(m, "errno"); n != 107 {
				t.Failf("errno 107", "%s", r.Brief())
			}
		},
	}, {
		ID:          "loop/4.14/1",
		Title:       "DELETE /account answers 204 and the session is gone (401 Unknown credentials after)",
		Level:       must,
		Requirement: "DELETE /account removes the user's data and this session's key; answers 204.",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, map[string]any{"simplePushURL": discardPush})
			r := s.do(ctx, t, "DELETE", "/account", nil)
			r.ExpectStatus(t, "", http.StatusNoContent)
			r = s.do(ctx, t, "GET", hawkRoute, nil)
			expectHawkError(t, r, 401, boomBody("Unknown credentials"), "")
		},
	}, {
		ID:          "loop/4.15/1",
		Title:       "DELETE /session of a registered user answers 204 and the session stops working",
		Level:       must,
		Requirement: "DELETE /session (registered users) removes this session's push URLs and key; answers 204.",
		Run: func(ctx context.Context, t *conformance.T) {
			s, _ := registered(ctx, t, discardPush)
			r := s.do(ctx, t, "DELETE", "/session", nil)
			r.ExpectStatus(t, "", http.StatusNoContent)
			r = s.do(ctx, t, "GET", hawkRoute, nil)
			expectHawkError(t, r, 401, boomBody("Unknown credentials"), "")
		},
	}}
}
