package limpsuite

import (
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/json"
	"time"

	"github.com/appwire/appwire/conformance"
)

var sdkHeader = []byte(`{"alg":"HS256","typ":"JWT"}`)

// rejected sends a heart/beat whose claims edit changes, signed by sign,
// and expects 403 CORE_REQ_INVALID_TOKEN with the outer call_id; the
// connection must stay open (a heartbeat still works).
func rejected(ctx context.Context, t *conformance.T, edit func(m map[string]any), sign func(c *conn, payload []byte) string) {
	c := verified(ctx, t)
	id := newID()
	m := c.claims("heart/beat", nil, nil, id)
	if edit != nil {
		edit(m)
	}
	p, _ := json.Marshal(m)
	frame, _ := json.Marshal(map[string]any{"token": sign(c, p), "call_id": id})
	c.ws.Send(string(frame))
	r := c.read("403 CORE_REQ_INVALID_TOKEN")
	c.expect(r, 403, "CORE_REQ_INVALID_TOKEN")
	if r.callID() != id {
		t.Failf("args.call_id "+id, "%s", r.brief())
	}
	c.expect(c.call("heart/beat", nil, nil), 200, "CORE_HEARTBEAT_OK")
}

func hs256Sign(c *conn, p []byte) string { return signJWT(sdkHeader, p, c.key) }

// tokenCases: section 3.
func tokenCases() []conformance.Case {
	return []conformance.Case{
		{
			ID: "limp/3.3/1", Level: must,
			Title:       "before verify, a token signed with another key gets 403 and the connection is closed",
			Requirement: "A token that does not verify with the connection's key is answered 403 CORE_REQ_INVALID_TOKEN; before verify the server then closes the connection.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := open(ctx, t, nil)
				c.key = "not-the-anon-token"
				r := c.call("conn/verify", nil, map[string]any{"app": param(t, ParamApp)})
				c.expect(r, 403, "CORE_REQ_INVALID_TOKEN")
				c.ws.ExpectClose(-1, "the connection closed", nil)
			},
		},
		{
			ID: "limp/3.3/2", Level: must,
			Title:       "after verify, a token signed with another key gets 403 and the connection stays",
			Requirement: "After verify a token that does not verify is answered 403 CORE_REQ_INVALID_TOKEN and the connection stays open.",
			Run: func(ctx context.Context, t *conformance.T) {
				rejected(ctx, t, nil, func(c *conn, p []byte) string { return signJWT(sdkHeader, p, c.key+"x") })
			},
		},
		{
			ID: "limp/3.3/3", Level: must,
			Title:       `an unsigned token (alg "none") is refused`,
			Requirement: "Only HS256 is accepted: a token with alg none is answered 403 CORE_REQ_INVALID_TOKEN.",
			Run: func(ctx context.Context, t *conformance.T) {
				rejected(ctx, t, nil, func(c *conn, p []byte) string {
					return b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(p) + "."
				})
			},
		},
		{
			ID: "limp/3.3/4", Level: must,
			Title:       "an HS512 token signed with the right key is refused",
			Requirement: "Only HS256 is accepted: another HMAC algorithm with the right key is answered 403 CORE_REQ_INVALID_TOKEN.",
			Run: func(ctx context.Context, t *conformance.T) {
				rejected(ctx, t, nil, func(c *conn, p []byte) string {
					s := b64([]byte(`{"alg":"HS512","typ":"JWT"}`)) + "." + b64(p)
					m := hmac.New(sha512.New, []byte(c.key))
					m.Write([]byte(s))
					return s + "." + b64(m.Sum(nil))
				})
			},
		},
		{
			ID: "limp/3.3/5", Level: must,
			Title:       "an expired token (exp in the past) is refused",
			Requirement: "exp, when present, must not be in the past; otherwise 403 CORE_REQ_INVALID_TOKEN.",
			Run: func(ctx context.Context, t *conformance.T) {
				rejected(ctx, t, func(m map[string]any) {
					m["iat"], m["exp"] = time.Now().Unix()-7200, time.Now().Unix()-3600
				}, hs256Sign)
			},
		},
		{
			ID: "limp/3.3/6", Level: must,
			Title:       "a token with an aud claim is refused",
			Requirement: "The server configures no audience: a token with an aud claim is answered 403 CORE_REQ_INVALID_TOKEN.",
			Run: func(ctx context.Context, t *conformance.T) {
				rejected(ctx, t, func(m map[string]any) { m["aud"] = "limp" }, hs256Sign)
			},
		},
		{
			ID: "limp/3.3/7", Level: must,
			Title:       "a token not valid before a future time (nbf) is refused",
			Requirement: "nbf, when present, must not be in the future; otherwise 403 CORE_REQ_INVALID_TOKEN.",
			Run: func(ctx context.Context, t *conformance.T) {
				rejected(ctx, t, func(m map[string]any) { m["nbf"] = time.Now().Unix() + 3600 }, hs256Sign)
			},
		},
		{
			ID: "limp/3.3/8", Level: must,
			Title:       "the 403 for an unreadable token carries the frame's outer call_id",
			Requirement: "A token that cannot be verified is answered with the frame's outer call_id.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.ws.Send(`{"token":"not.a.jwt","call_id":"outer1"}`)
				r := c.read("403 with call_id outer1")
				c.expect(r, 403, "CORE_REQ_INVALID_TOKEN")
				if r.callID() != "outer1" {
					t.Failf(`args.call_id "outer1"`, "%s", r.brief())
				}
			},
		},
		{
			ID: "limp/3.3/9", Level: must,
			Title:       "a token whose header has other member order and members is accepted",
			Requirement: "Any JOSE header is fine as long as alg is HS256: member order and extra members do not matter.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				id := newID()
				c.sendClaims([]byte(`{"typ":"JWT","kid":"k1","alg":"HS256"}`), c.claims("heart/beat", nil, nil, id), c.key, id)
				r := c.read("200 CORE_HEARTBEAT_OK")
				c.expect(r, 200, "CORE_HEARTBEAT_OK")
			},
		},
		{
			ID: "limp/3.3/10", Level: must,
			Title:       "a token without iat and exp is accepted",
			Requirement: "iat and exp are optional for the server.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				id := newID()
				m := c.claims("heart/beat", nil, nil, id)
				delete(m, "iat")
				delete(m, "exp")
				c.sendClaims(sdkHeader, m, c.key, id)
				c.expect(c.read("200 CORE_HEARTBEAT_OK"), 200, "CORE_HEARTBEAT_OK")
			},
		},
		{
			ID: "limp/3.4/1", Level: must,
			Title:       "after auth, a call signed with the anonymous token is refused",
			Requirement: "After auth the connection's key is the session token; the anonymous token no longer verifies.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.auth()
				c.key = param(t, ParamAnonToken)
				r := c.call("heart/beat", nil, nil)
				c.expect(r, 403, "CORE_REQ_INVALID_TOKEN")
			},
		},
		{
			ID: "limp/3.4/2", Level: must,
			Title:       "after auth, calls signed with the session token run as the user",
			Requirement: "After auth the session token signs; the connection has a session (a second auth is refused as already authed).",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.auth()
				c.expect(c.call("heart/beat", nil, nil), 200, "CORE_HEARTBEAT_OK")
				r := c.call("session/auth", nil, map[string]any{"email": "a@b.cd", "hash": "x"})
				c.expect(r, 400, "CORE_SESSION_ALREADY_AUTHED")
			},
		},
		{
			ID: "limp/3.4/3", Level: must,
			Title:       "after signout, the anonymous token signs again and the session token is refused",
			Requirement: "After signout the connection's key is the anonymous token again.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.auth()
				token := c.token
				r := c.call("session/signout", []any{map[string]any{"_id": c.sid}}, nil)
				c.expect(r, 200, "")
				c.sid, c.key, c.token = anonSID, param(t, ParamAnonToken), param(t, ParamAnonToken)
				c.expect(c.call("heart/beat", nil, nil), 200, "CORE_HEARTBEAT_OK")
				c.key = token
				c.expect(c.call("heart/beat", nil, nil), 403, "CORE_REQ_INVALID_TOKEN")
			},
		},
	}
}
