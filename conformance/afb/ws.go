package afb

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
	"github.com/appwire/appwire/internal/wsconn"
)

// Spec §4.1 and §4.2: the WebSocket upgrade and the x-afb-ws-json1 frames.

// expectProtocol fails unless c negotiated x-afb-ws-json1.
func expectProtocol(t *conformance.T, w *kit.WS) {
	if p := w.Protocol(); p != subprotocol {
		t.Failf("101 with Sec-WebSocket-Protocol: "+subprotocol, "Sec-WebSocket-Protocol: %q", p)
	}
}

// pingWS dials with the initial token and skips when there is no hello
// API (probed with one ping, whose reply is returned).
func pingWS(ctx context.Context, t *conformance.T) (*wsClient, *wsReply) {
	w := dialWS(ctx, t, tokenQuery(t))
	r := w.call("p0", "hello/ping", "null")
	skipUnknownAPI(t, r.reply, "hello")
	return w, r
}

// expectReply fails unless r is a reply frame with code and count
// elements.
func expectReply(t *conformance.T, r *wsReply, code, count int) {
	if r.Code != code || len(r.El) != count {
		t.Failf(fmt.Sprintf("a %d-element reply [%d,ID,...]", count, code), "%.300s", r.frame.Raw)
	}
}

func upgradeCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "afb/4.1/1",
		Title:       "upgrade GET /api?token=<initial token> offering x-afb-ws-json1 gives 101 with that subprotocol",
		Level:       must,
		Requirement: "Path: exactly the rootapi, with nothing after it. Subprotocol: only x-afb-ws-json1. 101 response headers: Connection: Upgrade, Sec-WebSocket-Accept, Sec-WebSocket-Protocol: x-afb-ws-json1, Upgrade: websocket.",
		Run: func(ctx context.Context, t *conformance.T) {
			w := dialWS(ctx, t, tokenQuery(t))
			defer w.Close()
			expectProtocol(t, w.WS)
		},
	}, {
		ID:          "afb/4.1/2",
		Title:       "upgrade without a token, and with a wrong token, gives 401",
		Level:       compat,
		Profiles:    v6Only,
		Requirement: "V1/V6: the token must be valid, otherwise 401 (empty body).",
		Run: func(ctx context.Context, t *conformance.T) {
			needToken(t)
			opts := kit.DialOptions{Protocols: []string{subprotocol}}
			expectRefused(ctx, t, wsURL(t, nil), opts, http.StatusUnauthorized, "no token")
			expectRefused(ctx, t, wsURL(t, url.Values{"token": {newID("wrong-")}}), opts, http.StatusUnauthorized, "wrong token")
		},
	}, {
		ID:          "afb/4.1/3",
		Title:       "upgrade GET /api/x?token=<initial token> gives 404",
		Level:       must,
		Requirement: "Path: exactly the rootapi, with nothing after it. /api/ and /api/x → 404.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := wsURL(t, nil) + "/x?" + tokenQuery(t).Encode()
			expectRefused(ctx, t, u, kit.DialOptions{Protocols: []string{subprotocol}}, http.StatusNotFound, "not the API root")
		},
	}, {
		ID:          "afb/4.1/4",
		Title:       "upgrade offering only the subprotocol x-unknown gives 412",
		Level:       must,
		Requirement: "Subprotocol: only x-afb-ws-json1 ... Unknown protocol → 412.",
		Run: func(ctx context.Context, t *conformance.T) {
			expectRefused(ctx, t, wsURL(t, tokenQuery(t)), kit.DialOptions{Protocols: []string{"x-unknown"}},
				http.StatusPreconditionFailed, "unsupported subprotocol")
		},
	}, {
		ID:          "afb/4.1/5",
		Title:       "upgrade with Sec-WebSocket-Version: 8 gives 426 with Sec-WebSocket-Version: 13",
		Level:       must,
		Requirement: "Version ≠ 13 → 426 with Sec-WebSocket-Version: 13.",
		Run: func(ctx context.Context, t *conformance.T) {
			r := rawRequest(ctx, t, upgradeRequest(t, "", tokenQuery(t), "Sec-WebSocket-Version: 8", "Sec-WebSocket-Protocol: "+subprotocol))
			if r.Status != http.StatusUpgradeRequired || r.Header.Get("Sec-WebSocket-Version") != "13" {
				t.Failf("HTTP 426 with Sec-WebSocket-Version: 13", "HTTP %d, Sec-WebSocket-Version %q", r.Status, r.Header.Get("Sec-WebSocket-Version"))
			}
		},
	}, {
		ID:          "afb/4.1/6",
		Title:       "upgrade offering no subprotocol gives 101 carrying Sec-WebSocket-Protocol: x-afb-ws-json1",
		Level:       compat,
		Requirement: "If the header is absent, x-afb-ws-json1 is assumed, and the 101 still carries Sec-WebSocket-Protocol: x-afb-ws-json1.",
		Run: func(ctx context.Context, t *conformance.T) {
			c, err := kit.TryDial(ctx, t, wsURL(t, tokenQuery(t)), kit.DialOptions{AllowUnofferedProtocol: true})
			if err != nil {
				t.Failf("HTTP 101", "%s", kit.HandshakeText(err))
			}
			defer c.Close()
			expectProtocol(t, c)
		},
	}, {
		ID:          "afb/4.1/7",
		Title:       "upgrade offering \"x-unknown, x-afb-ws-json1\" gives 101 with x-afb-ws-json1",
		Level:       must,
		Requirement: "The Sec-WebSocket-Protocol list is split on space, tab and comma, and the first supported entry is taken.",
		Run: func(ctx context.Context, t *conformance.T) {
			c, err := kit.TryDial(ctx, t, wsURL(t, tokenQuery(t)), kit.DialOptions{Protocols: []string{"x-unknown", subprotocol}})
			if err != nil {
				t.Failf("HTTP 101", "%s", kit.HandshakeText(err))
			}
			defer c.Close()
			expectProtocol(t, c)
		},
	}, {
		ID:          "afb/4.1/8",
		Title:       "upgrade without a token (and with the rejected token, given badtoken) gives 101",
		Level:       compat,
		Profiles:    finalLike,
		Requirement: "The session/token context is built from the upgrade request exactly as for HTTP. AGL-final/libafb: no check at upgrade time.",
		Run: func(ctx context.Context, t *conformance.T) {
			qs := []url.Values{nil}
			if bad := t.Param("badtoken"); bad != "" {
				qs = append(qs, url.Values{"token": {bad}})
			}
			for _, q := range qs {
				c, err := kit.TryDial(ctx, t, wsURL(t, q), kit.DialOptions{Protocols: []string{subprotocol}})
				if err != nil {
					t.Failf("HTTP 101: no token check at upgrade", "%s", kit.HandshakeText(err))
				}
				c.Close()
			}
		},
	}}
}

func frameCases() []conformance.Case {
	malformed := func(n int, what, msg string) conformance.Case {
		return conformance.Case{
			ID:          fmt.Sprintf("afb/4.2/%d", n),
			Title:       "sending " + msg + " (" + what + ") makes the server close with 1008 and no reply",
			Level:       must,
			Requirement: "Anything malformed, a reply whose ID is unknown, {} or [] → the server closes with 1008 (policy violation) and no reply. Call element count must be 4 or 5.",
			Run: func(ctx context.Context, t *conformance.T) {
				w := dialWS(ctx, t, tokenQuery(t))
				w.Send(msg)
				w.expectClose(int(wsconn.StatusPolicyViolation))
			},
		}
	}
	cases := []conformance.Case{{
		ID:          "afb/4.2/1",
		Title:       `[2,"c1","hello/ping",{"a":1}] gives [3,"c1",REPLY] with status success and the args {"a":1}`,
		Level:       must,
		Requirement: `call C→S [2,"ID","api/verb",ARGS]; reply ok S→C [3,"ID",REPLY]. Needs the hello sample binding.`,
		Run: func(ctx context.Context, t *conformance.T) {
			w, _ := pingWS(ctx, t)
			defer w.Close()
			r := w.call("c1", "hello/ping", `{"a":1}`)
			expectStatus(t, r.reply, "success")
			expectReply(t, r, 3, 3)
			if got := r.args(t); !kit.JSONEqual(got, []byte(`{"a":1}`)) {
				t.Failf(`the verb receives {"a":1}`, "it received %s", got)
			}
		},
	}, {
		ID:          "afb/4.2/2",
		Title:       `[2,"c2","hello/pingfail",null] gives [4,"c2",REPLY] with status failed`,
		Level:       must,
		Requirement: "reply error S→C [4,\"ID\",REPLY]: [4,...] whenever status ≠ success. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			w, _ := pingWS(ctx, t)
			defer w.Close()
			r := w.call("c2", "hello/pingfail", "null")
			expectStatus(t, r.reply, "failed")
			expectReply(t, r, 4, 3)
		},
	}, {
		ID:          "afb/4.2/3",
		Title:       `ids are echoed textually: 7 comes back as "7", "a\"b" as "a\"b"`,
		Level:       compat,
		Requirement: `ID is echoed textually: surrounding quotes are stripped with no unescaping and it is re-wrapped in quotes, so 1 (a number) comes back as "1" and "a\"b" comes back as "a\"b". Needs the hello sample binding.`,
		Run: func(ctx context.Context, t *conformance.T) {
			w, _ := pingWS(ctx, t)
			defer w.Close()
			for _, c := range []struct{ sent, want string }{{`7`, `[3,"7",`}, {`"a\"b"`, `[3,"a\"b",`}} {
				w.Send(`[2,` + c.sent + `,"hello/ping",null]`)
				if m := w.readNonEvent("a reply " + c.want + "...]"); !bytes.HasPrefix(m.Raw, []byte(c.want)) {
					t.Failf("a reply starting "+c.want, "%.200s", m.Raw)
				}
			}
		},
	}, {
		ID:          "afb/4.2/4",
		Title:       `[2,"c4","hello/ping",not json] gives the verb the string "not json"`,
		Level:       compat,
		Requirement: `ARGS is kept as raw text and parsed lazily. If it is not valid JSON it becomes a JSON string of the raw text (not json → "not json"). Needs the hello sample binding.`,
		Run: func(ctx context.Context, t *conformance.T) {
			w, _ := pingWS(ctx, t)
			defer w.Close()
			w.Send(`[2,"c4","hello/ping",not json]`)
			r := w.replyTo("c4")
			expectStatus(t, r.reply, "success")
			if got := r.args(t); !kit.JSONEqual(got, []byte(`"not json"`)) {
				t.Failf(`the verb receives "not json"`, "it received %s", got)
			}
		},
	}, {
		ID:          "afb/4.2/5",
		Title:       `auth/connect with a wrong 5th-element token gives [4,...denied]; the next call without a token succeeds`,
		Level:       compat,
		Profiles:    v6Only,
		Requirement: "V1/V6: if absent, the call counts as validated (the connection was authenticated at upgrade). If present, it is checked against the session token for this call only. Needs the auth sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			w := dialWS(ctx, t, url.Values{"token": {token(t)}, "uuid": {newID("s-")}})
			defer w.Close()
			r := w.call("w1", "auth/connect", "null", newID("wrong-"))
			skipUnknownAPI(t, r.reply, "auth")
			if r.Code != 4 || r.Status != "denied" {
				t.Failf(`[4,"w1",{... "status":"denied" ...}] for the wrong token`, "%.300s", r.frame.Raw)
			}
			r = w.call("w2", "auth/connect", "null")
			if r.Code != 3 || r.Status != "success" {
				t.Failf(`[3,"w2",{... "status":"success" ...}]: the wrong token counted for its call only`, "%.300s", r.frame.Raw)
			}
		},
	}, {
		ID:          "afb/4.2/6",
		Title:       `[2,"r","auth/connect",null] gives [3,"r",REPLY,"T"] with T = request.token`,
		Level:       compat,
		Profiles:    v6Only,
		Requirement: `V1/V6: [3,"ID",REPLY,"NEWTOKEN"] when the token was refreshed. Needs the auth sample binding.`,
		Run: func(ctx context.Context, t *conformance.T) {
			w := dialWS(ctx, t, url.Values{"token": {token(t)}, "uuid": {newID("s-")}})
			defer w.Close()
			r := w.call("r", "auth/connect", "null")
			skipUnknownAPI(t, r.reply, "auth")
			expectReply(t, r, 3, 4)
			if tok := r.get("token"); tok == "" || str(r.El[3]) != tok {
				t.Failf("the 4th element equal to request.token", "%.300s", r.frame.Raw)
			}
		},
	}, {
		ID:          "afb/4.2/7",
		Title:       `[2,"r","auth/connect",null] gives a 3-element [3,"r",REPLY] without request.token`,
		Level:       compat,
		Profiles:    finalLike,
		Requirement: "The 4-element reply was removed from the spec on 14 Nov 2019 (AGL-final, libafb). Needs the auth sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			w := dialWS(ctx, t, url.Values{"token": {token(t)}, "uuid": {newID("s-")}})
			defer w.Close()
			r := w.call("r", "auth/connect", "null")
			skipUnknownAPI(t, r.reply, "auth")
			expectReply(t, r, 3, 3)
			if r.has("token") {
				t.Failf("no request.token", "%.300s", r.frame.Raw)
			}
		},
	}, {
		ID:          "afb/4.2/8",
		Title:       "upgrade with ?uuid=<new>: the first call's reply carries request.uuid, the second's does not",
		Level:       compat,
		Profiles:    v6Only,
		Requirement: "On WebSocket: the first call on a connection whose upgrade created the session carries uuid. Later calls do not. Needs the hello sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := newID("s-")
			w := dialWS(ctx, t, url.Values{"token": {token(t)}, "uuid": {u}})
			defer w.Close()
			r := w.call("u1", "hello/ping", "null")
			skipUnknownAPI(t, r.reply, "hello")
			if r.get("uuid") != u {
				t.Failf("request.uuid "+u+" in the first reply", "%.300s", r.frame.Raw)
			}
			if r = w.call("u2", "hello/ping", "null"); r.has("uuid") {
				t.Failf("no request.uuid in the second reply", "%.300s", r.frame.Raw)
			}
		},
	},
		malformed(9, "an object", `{}`),
		malformed(10, "an empty array", `[]`),
		malformed(11, "a call of 3 elements", `[2,"m","hello/ping"]`),
		malformed(12, "api/verb without a slash", `[2,"m","helloping",null]`),
		malformed(13, "an unknown message code", `[7,"m","hello/ping",null]`),
		malformed(14, "a reply to an unknown id", `[3,"nope",{"jtype":"afb-reply","request":{"status":"success"}}]`),
		{
			ID:          "afb/4.2/15",
			Title:       `a client event [5,"x/y",{}] is ignored: the connection stays open and the next call is answered`,
			Level:       compat,
			Requirement: "A client-sent event [5,...] is silently ignored by the server. Needs the hello sample binding.",
			Run: func(ctx context.Context, t *conformance.T) {
				w, _ := pingWS(ctx, t)
				defer w.Close()
				w.Send(`[5,"x/y",{"event":"x/y","jtype":"afb-event"}]`)
				expectStatus(t, w.call("e1", "hello/ping", "null").reply, "success")
			},
		}, {
			ID:          "afb/4.2/16",
			Title:       "a call's 5th-element token replaces the connection's: after a call with the rejected token, calls without a token are rejected until one carries an accepted token",
			Level:       compat,
			Profiles:    finalLike,
			Requirement: "AGL-final: a token in a call replaces the connection's token for later calls. No check at upgrade time. Needs the auth sample binding and the badtoken param.",
			Run: func(ctx context.Context, t *conformance.T) {
				bad, status, _ := rejected(t)
				w := dialWS(ctx, t, url.Values{"token": {token(t)}, "uuid": {newID("s-")}})
				defer w.Close()
				steps := []struct {
					tok, status string // tok "" sends none
				}{
					{"", "success"},       // the upgrade's accepted token
					{bad, status},         // replaces it
					{"", status},          // the rejected token stays
					{token(t), "success"}, // replaces it again
					{"", "success"},
				}
				for i, s := range steps {
					id := fmt.Sprintf("t%d", i)
					var r *wsReply
					if s.tok == "" {
						r = w.call(id, "auth/connect", "null")
					} else {
						r = w.call(id, "auth/connect", "null", s.tok)
					}
					skipUnknownAPI(t, r.reply, "auth")
					if r.Status != s.status {
						t.Failf(fmt.Sprintf("call %s (token %q): status %q", id, s.tok, s.status), "%.300s", r.frame.Raw)
					}
				}
			},
		}}
	return cases
}
