package loopsuite

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// Sections 4.6-4.12: call URLs and calls.

func callURLCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "loop/4.6/1",
		Title:       "POST /call-url {callerId} gives callUrl, callToken (11 base64url characters), call_url and expiresAt 720 h ahead",
		Level:       must,
		Requirement: `0.17.8: 200 {"callUrl","callToken","call_url" (= callUrl),"expiresAt"}; the token is 8 random bytes in base64url; the default lifetime is callUrls.timeout, 720 hours.`,
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			r := s.do(ctx, t, "POST", "/call-url", map[string]any{"callerId": "alice@example.com"})
			r.ExpectStatus(t, "", http.StatusOK)
			m := object(t, r, "the new call URL")
			keysExactly(t, m, `{"callUrl","callToken","call_url","expiresAt"}`, "callUrl", "callToken", "call_url", "expiresAt")
			tok := str(m, "callToken")
			if !isToken11(tok) || !strings.Contains(str(m, "callUrl"), tok) || str(m, "call_url") != str(m, "callUrl") {
				t.Failf("an 11-character token inside callUrl, and call_url equal to callUrl", "%s", r.Brief())
			}
			exp, ok := num(m, "expiresAt")
			if !ok {
				t.Failf(`"expiresAt": unix seconds`, "%s", r.Brief())
			}
			near(t, "expiresAt", exp, now()+720*3600, 300)
		},
	}, {
		ID:          "loop/4.6/2",
		Title:       `POST /call-url without callerId gets 400 errno 108 "Missing: callerId"`,
		Level:       must,
		Requirement: "callerId is required.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			expectError(t, s.do(ctx, t, "POST", "/call-url", map[string]any{"subject": "x"}), 400, 108, "Missing: callerId")
		},
	}, {
		ID:          "loop/4.6/3",
		Title:       `expiresIn that is not a number gets 400 errno 107 "expiresIn should be a valid number"`,
		Level:       must,
		Requirement: "expiresIn is parsed as an integer number of hours.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			r := s.do(ctx, t, "POST", "/call-url", map[string]any{"callerId": "a", "expiresIn": "soon"})
			expectError(t, r, 400, 107, "expiresIn should be a valid number")
		},
	}, {
		ID:          "loop/4.6/4",
		Title:       `expiresIn above 720 gets 400 errno 107 "expiresIn should be less than 720"`,
		Level:       must,
		Requirement: "expiresIn may not exceed callUrls.maxTimeout (720 hours).",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			r := s.do(ctx, t, "POST", "/call-url", map[string]any{"callerId": "a", "expiresIn": 721})
			expectError(t, r, 400, 107, "expiresIn should be less than 720")
		},
	}, {
		ID:          "loop/4.6/5",
		Title:       "expiresIn 2 gives expiresAt two hours ahead",
		Level:       must,
		Requirement: "expiresIn is in hours; expiresAt = now + expiresIn × 3600.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			cu := createCallURL(ctx, t, s, map[string]any{"callerId": "a", "expiresIn": 2})
			near(t, "expiresAt", cu.expiresAt, now()+7200, 300)
		},
	}, {
		ID:          "loop/4.6/6",
		Title:       `HEAD: POST /call-url gets 405 errno 204 "No longer supported"`,
		Level:       must,
		Requirement: "loop-server HEAD no longer creates call URLs.",
		Profiles:    onlyHead,
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			expectError(t, s.do(ctx, t, "POST", "/call-url", map[string]any{"callerId": "a"}), 405, 204, "No longer supported")
		},
	}, {
		ID:          "loop/4.7/1",
		Title:       "GET /call-url lists the session's call URLs with callerId, timestamp, issuer, subject, expires and no userMac",
		Level:       must,
		Requirement: "The list holds {callerId, timestamp, issuer?, subject?, expires} for each live URL of the user; the owner's HMAC is removed.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			createCallURL(ctx, t, s, map[string]any{"callerId": "bob", "issuer": "Alice", "subject": "lunch"})
			r := s.do(ctx, t, "GET", "/call-url", nil)
			r.ExpectStatus(t, "", http.StatusOK)
			var list []map[string]json.RawMessage
			r.JSON(t, &list)
			if len(list) != 1 {
				t.Failf("one call URL", "%s", r.Brief())
			}
			u := list[0]
			if str(u, "callerId") != "bob" || str(u, "issuer") != "Alice" || str(u, "subject") != "lunch" {
				t.Failf(`callerId "bob", issuer "Alice", subject "lunch"`, "%s", r.Brief())
			}
			if _, ok := num(u, "timestamp"); !ok {
				t.Failf("a numeric timestamp", "%s", r.Brief())
			}
			if _, ok := num(u, "expires"); !ok {
				t.Failf("a numeric expires", "%s", r.Brief())
			}
			if _, ok := u["userMac"]; ok {
				t.Failf("no userMac", "%s", r.Brief())
			}
		},
	}, {
		ID:          "loop/4.8/1",
		Title:       "PUT /call-url/{token} rewrites the URL: 200 {expiresAt}, the list shows the new callerId",
		Level:       must,
		Requirement: "PUT takes callerId, expiresIn, issuer and subject, rebuilds the record and answers 200 {\"expiresAt\"}.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			cu := createCallURL(ctx, t, s, map[string]any{"callerId": "old"})
			r := s.do(ctx, t, "PUT", "/call-url/"+cu.token, map[string]any{"callerId": "new", "expiresIn": 1})
			r.ExpectStatus(t, "", http.StatusOK)
			m := object(t, r, `{"expiresAt":...}`)
			keysExactly(t, m, `{"expiresAt":...}`, "expiresAt")
			exp, _ := num(m, "expiresAt")
			near(t, "expiresAt", exp, now()+3600, 300)
			r = s.do(ctx, t, "GET", "/call-url", nil)
			if !strings.Contains(string(r.Body), `"new"`) {
				t.Failf(`the list showing callerId "new"`, "%s", r.Brief())
			}
		},
	}, {
		ID:          "loop/4.8/2",
		Title:       "PUT /call-url/{token} without subject clears the subject (the record is rebuilt)",
		Level:       compat,
		Requirement: "PUT rebuilds the whole record from the body: a field left out is cleared, not kept.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			cu := createCallURL(ctx, t, s, map[string]any{"callerId": "a", "subject": "topic"})
			s.do(ctx, t, "PUT", "/call-url/"+cu.token, map[string]any{"callerId": "a"}).ExpectStatus(t, "", http.StatusOK)
			r := s.do(ctx, t, "GET", "/call-url", nil)
			if strings.Contains(string(r.Body), "topic") {
				t.Failf("the subject cleared", "%s", r.Brief())
			}
		},
	}, {
		ID:          "loop/4.8/3",
		Title:       "PUT /call-url/{unknown} gets 404 errno 105",
		Level:       must,
		Requirement: "An unknown token, or one of another user, is 404 errno 105.",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			r := s.do(ctx, t, "PUT", "/call-url/"+unknownToken(), map[string]any{"callerId": "a"})
			expectError(t, r, 404, 105, "Token not found.")
		},
	}, {
		ID:          "loop/4.9/1",
		Title:       `DELETE /call-url/{token} by another user gets 403 errno 110 "Forbidden"; by its owner 204, after which the token is unknown`,
		Level:       must,
		Requirement: "Only the owner may delete a call URL (403 errno 110 otherwise); deletion answers 204.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			owner, other := newSession(ctx, t, nil), newSession(ctx, t, nil)
			cu := createCallURL(ctx, t, owner, map[string]any{"callerId": "a"})
			expectError(t, other.do(ctx, t, "DELETE", "/call-url/"+cu.token, nil), 403, 110, "Forbidden")
			owner.do(ctx, t, "DELETE", "/call-url/"+cu.token, nil).ExpectStatus(t, "", http.StatusNoContent)
			expectError(t, anon(ctx, t, "GET", "/calls/"+cu.token, nil, nil), 404, 105, "Token not found.")
		},
	}, {
		ID:          "loop/4.9/2",
		Title:       `DELETE /call-url/{unknown} gets 404 errno 105 "Token not found."`,
		Level:       must,
		Requirement: "An unknown or expired token is 404 errno 105.",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			expectError(t, s.do(ctx, t, "DELETE", "/call-url/"+unknownToken(), nil), 404, 105, "Token not found.")
		},
	}, {
		ID:          "loop/4.10/1",
		Title:       "GET /calls/{token} gives urlCreationDate, and calleeFriendlyName only when the URL has an issuer",
		Level:       must,
		Requirement: `200 {"calleeFriendlyName": issuer, "urlCreationDate": timestamp}; an anonymous user's URL has no issuer, so only urlCreationDate.`,
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			plain := createCallURL(ctx, t, s, map[string]any{"callerId": "a"})
			named := createCallURL(ctx, t, s, map[string]any{"callerId": "a", "issuer": "Alice"})
			r := anon(ctx, t, "GET", "/calls/"+plain.token, nil, nil)
			r.ExpectStatus(t, "", http.StatusOK)
			m := object(t, r, `{"urlCreationDate":...}`)
			keysExactly(t, m, `{"urlCreationDate":...}`, "urlCreationDate")
			d, _ := num(m, "urlCreationDate")
			near(t, "urlCreationDate", d, now(), 300)
			r = anon(ctx, t, "GET", "/calls/"+named.token, nil, nil)
			r.ExpectStatus(t, "", http.StatusOK)
			m = object(t, r, `{"calleeFriendlyName":"Alice","urlCreationDate":...}`)
			keysExactly(t, m, `{"calleeFriendlyName":"Alice","urlCreationDate":...}`, "calleeFriendlyName", "urlCreationDate")
			if str(m, "calleeFriendlyName") != "Alice" {
				t.Failf(`"calleeFriendlyName":"Alice"`, "%s", r.Brief())
			}
		},
	}, {
		ID:          "loop/4.10/2",
		Title:       "GET /calls/{unknown} gets 404 errno 105",
		Level:       must,
		Requirement: "An unknown call-url token is 404 errno 105.",
		Run: func(ctx context.Context, t *conformance.T) {
			expectError(t, anon(ctx, t, "GET", "/calls/"+unknownToken(), nil, nil), 404, 105, "Token not found.")
		},
	}}
}

// unknownToken is a well-formed call-url token nobody created.
func unknownToken() string { return kit.NewID("u")[:11] }

func callCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "loop/4.11/1",
		Title:       "POST /calls/{token} gives callId and websocketToken (32 hex each), sessionId, sessionToken, apiKey and a ws progressURL",
		Level:       must,
		Requirement: `200 {"callId","websocketToken","sessionId","sessionToken","apiKey","progressURL"}; ids are 16 random bytes in hex; progressURL is ws(s)://<server>/websocket.`,
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			cu := createCallURL(ctx, t, callee(ctx, t, ""), map[string]any{"callerId": "a"})
			r := anon(ctx, t, "POST", "/calls/"+cu.token, map[string]any{"callType": "audio-video"}, nil)
			r.ExpectStatus(t, "", http.StatusOK)
			m := object(t, r, "the call's details")
			keysExactly(t, m, `{"callId","websocketToken","sessionId","sessionToken","apiKey","progressURL"}`,
				"callId", "websocketToken", "sessionId", "sessionToken", "apiKey", "progressURL")
			if !isHex(str(m, "callId"), 32) || !isHex(str(m, "websocketToken"), 32) {
				t.Failf("callId and websocketToken of 32 hex characters", "%s", r.Brief())
			}
			p := str(m, "progressURL")
			if !(strings.HasPrefix(p, "ws://") || strings.HasPrefix(p, "wss://")) || !strings.HasSuffix(p, "/websocket") {
				t.Failf("progressURL ws(s)://…/websocket", "%s", r.Brief())
			}
		},
	}, {
		ID:          "loop/4.11/2",
		Title:       `POST /calls/{token} without callType gets 400 errno 108 "Missing: callType"`,
		Level:       must,
		Requirement: "callType is required.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			cu := createCallURL(ctx, t, callee(ctx, t, ""), map[string]any{"callerId": "a"})
			expectError(t, anon(ctx, t, "POST", "/calls/"+cu.token, map[string]any{"subject": "x"}, nil), 400, 108, "Missing: callType")
		},
	}, {
		ID:          "loop/4.11/3",
		Title:       `callType "video" gets 400 errno 107 "callType should be 'audio' or 'audio-video'"`,
		Level:       must,
		Requirement: `callType is "audio" or "audio-video".`,
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			cu := createCallURL(ctx, t, callee(ctx, t, ""), map[string]any{"callerId": "a"})
			expectError(t, anon(ctx, t, "POST", "/calls/"+cu.token, map[string]any{"callType": "video"}, nil),
				400, 107, "callType should be 'audio' or 'audio-video'")
		},
	}, {
		ID:          "loop/4.11/4",
		Title:       `a call to a callee without a calls push URL gets 410 errno 111 "Gone"`,
		Level:       must,
		Requirement: "When the callee has no SimplePush calls URL the call cannot ring: 410 errno 111.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			cu := createCallURL(ctx, t, newSession(ctx, t, nil), map[string]any{"callerId": "a"})
			expectError(t, anon(ctx, t, "POST", "/calls/"+cu.token, map[string]any{"callType": "audio"}, nil), 410, 111, "Gone")
		},
	}, {
		ID:          "loop/4.11/5",
		Title:       "POST /calls/{unknown} gets 404 errno 105",
		Level:       must,
		Requirement: "An unknown call-url token is 404 errno 105.",
		Run: func(ctx context.Context, t *conformance.T) {
			expectError(t, anon(ctx, t, "POST", "/calls/"+unknownToken(), map[string]any{"callType": "audio"}, nil), 404, 105, "Token not found.")
		},
	}, {
		ID:          "loop/4.12/1",
		Title:       "the callee's GET /calls?version lists the call with its own websocket and session tokens and the call URL's details",
		Level:       must,
		Requirement: "Each item: callId, callType, callerId, websocketToken (the callee's), apiKey, sessionId, sessionToken (the callee's), progressURL, and for calls through a URL callToken, callUrl, call_url, urlCreationDate.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			s := callee(ctx, t, "")
			cu := createCallURL(ctx, t, s, map[string]any{"callerId": "carol"})
			before := now() - 1
			c := placeCall(ctx, t, cu.token)
			for _, it := range listCalls(ctx, t, s, before) {
				if str(it, "callId") != c.callID {
					continue
				}
				for _, k := range []string{"callType", "callerId", "websocketToken", "apiKey", "sessionId", "sessionToken", "progressURL", "callToken", "callUrl", "call_url", "urlCreationDate"} {
					if _, ok := it[k]; !ok {
						t.Failf("member "+k, "%s", mustJSON(it))
					}
				}
				if str(it, "callerId") != "carol" || str(it, "callToken") != cu.token || str(it, "callType") != "audio-video" || str(it, "sessionId") != c.sessionID {
					t.Failf(`callerId "carol", callToken of the URL, callType "audio-video", the call's sessionId`, "%s", mustJSON(it))
				}
				if str(it, "websocketToken") == c.wsToken || !isHex(str(it, "websocketToken"), 32) || str(it, "sessionToken") == c.sessionToken {
					t.Failf("the callee's own websocketToken and sessionToken (not the caller's)", "%s", mustJSON(it))
				}
				return
			}
			t.Failf("call "+c.callID+" listed", "not listed")
		},
	}, {
		ID:          "loop/4.12/2",
		Title:       `GET /calls without version gets 400 errno 108 "Missing: version"`,
		Level:       must,
		Requirement: "version is required.",
		Run: func(ctx context.Context, t *conformance.T) {
			s := newSession(ctx, t, nil)
			expectError(t, s.do(ctx, t, "GET", "/calls", nil), 400, 108, "Missing: version")
		},
	}, {
		ID:          "loop/4.12/3",
		Title:       "GET /calls?version after the call's timestamp does not list it",
		Level:       must,
		Requirement: "Only calls with timestamp >= version are listed, so a client woken with version N asks for what is new since N.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			s := callee(ctx, t, "")
			cu := createCallURL(ctx, t, s, map[string]any{"callerId": "a"})
			c := placeCall(ctx, t, cu.token)
			for _, it := range listCalls(ctx, t, s, now()+3600) {
				if str(it, "callId") == c.callID {
					t.Failf("no call listed for a version an hour ahead", "%s", mustJSON(it))
				}
			}
		},
	}, {
		ID:          "loop/4.12/4",
		Title:       "a terminated call is no longer listed",
		Level:       must,
		Requirement: "GET /calls leaves out calls whose state is terminated.",
		Profiles:    only017,
		Run: func(ctx context.Context, t *conformance.T) {
			s := callee(ctx, t, "")
			cu := createCallURL(ctx, t, s, map[string]any{"callerId": "a"})
			before := now() - 1
			c := placeCall(ctx, t, cu.token)
			w := hello(ctx, t, c.progressURL, c.callID, c.wsToken, "init")
			w.SendJSON(map[string]any{"messageType": "action", "event": "terminate", "reason": "cancel"})
			expectProgress(t, w, "terminated", "cancel")
			for _, it := range listCalls(ctx, t, s, before) {
				if str(it, "callId") == c.callID {
					t.Failf("the terminated call left out", "%s", mustJSON(it))
				}
			}
		},
	}}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
