package limpsuite

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/appwire/appwire/conformance"
)

var (
	hex24    = regexp.MustCompile(`^[0-9a-f]{24}$`)
	token43  = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	unknownS = "aaaaaaaaaaaaaaaaaaaaaaaa" // a session id nobody has
)

type session struct {
	ID    string         `json:"_id"`
	Token string         `json:"token"`
	User  map[string]any `json:"user"`
}

func sessionOf(t *conformance.T, r *reply) session {
	var s session
	if json.Unmarshal(r.Args["session"], &s) != nil {
		t.Failf("args.session, an object", "%s", r.brief())
	}
	return s
}

// sessionCases: section 6.
func sessionCases() []conformance.Case {
	return []conformance.Case{
		{
			ID: "limp/6.1/1", Level: must,
			Title:       "session/auth with good credentials answers the session: _id, token, user without hashes",
			Requirement: `A good auth is answered 200 "You were successfully authed." with args.session: a 24-hex _id, a 43-character token, and the user without its *_hash attributes.`,
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				r := c.auth()
				if r.Msg != "You were successfully authed." {
					t.Failf(`msg "You were successfully authed."`, "%s", r.brief())
				}
				s := sessionOf(t, r)
				if !hex24.MatchString(s.ID) || !token43.MatchString(s.Token) || s.User == nil {
					t.Failf("session with 24-hex _id, 43-char token, user", "%s", r.brief())
				}
				for k := range s.User {
					if strings.HasSuffix(k, "_hash") {
						t.Failf("a user without *_hash attributes", "user has %s", k)
					}
				}
			},
		},
		{
			ID: "limp/6.1/2", Level: must,
			Title:       "session/auth with a wrong password gets 403 CORE_SESSION_INVALID_CREDS",
			Requirement: `Wrong credentials are answered 403 "Wrong auth credentials." CORE_SESSION_INVALID_CREDS.`,
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				attr, val := param(t, ParamAuthAttr), param(t, ParamAuthValue)
				r := c.call("session/auth", nil, map[string]any{attr: val, "hash": authHash(t, attr, val, param(t, ParamPassword)+"-wrong")})
				c.expectMsg(r, 403, "CORE_SESSION_INVALID_CREDS", "Wrong auth credentials.")
			},
		},
		{
			ID: "limp/6.1/3", Level: must,
			Title:       "session/auth of an unknown user gets 403 CORE_SESSION_INVALID_CREDS",
			Requirement: "An unknown user is answered 403 CORE_SESSION_INVALID_CREDS, like a wrong password.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				r := c.call("session/auth", nil, map[string]any{"email": "nobody@limp.invalid", "hash": authHash(t, "email", "nobody@limp.invalid", "x")})
				c.expect(r, 403, "CORE_SESSION_INVALID_CREDS")
			},
		},
		{
			ID: "limp/6.1/4", Level: must,
			Title:       "session/auth on a connection with a session gets 400 CORE_SESSION_ALREADY_AUTHED",
			Requirement: `auth or reauth on a connection that has a session is answered 400 "You are already authed." CORE_SESSION_ALREADY_AUTHED.`,
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.auth()
				r := c.call("session/reauth", []any{map[string]any{"_id": c.sid, "hash": reauthHash(c.token)}}, nil)
				c.expectMsg(r, 400, "CORE_SESSION_ALREADY_AUTHED", "You are already authed.")
			},
		},
		{
			ID: "limp/6.2/1", Level: must,
			Title:       "session/reauth on a new connection restores the session and its key",
			Requirement: `Reauth with {_id, hash of the token} is answered 200 "You were succefully reauthed." with the session (same token), which then signs.`,
			Run: func(ctx context.Context, t *conformance.T) {
				a := verified(ctx, t)
				a.auth()
				c := verified(ctx, t)
				r := c.call("session/reauth", []any{map[string]any{"_id": a.sid, "hash": reauthHash(a.token)}}, nil)
				c.expectMsg(r, 200, "", "You were succefully reauthed.")
				if s := sessionOf(t, r); s.ID != a.sid || s.Token != a.token {
					t.Failf("the same session _id and token", "%s", r.brief())
				}
				c.sid, c.token, c.key = a.sid, a.token, a.token
				c.expect(c.call("session/auth", nil, map[string]any{"email": "a@b.cd", "hash": "x"}), 400, "CORE_SESSION_ALREADY_AUTHED")
			},
		},
		{
			ID: "limp/6.2/2", Level: must,
			Title:       "session/reauth with a wrong hash gets 403 CORE_SESSION_INVALID_REAUTH_HASH",
			Requirement: `A hash that is not the token's is answered 403 "Reauth token hash invalid." CORE_SESSION_INVALID_REAUTH_HASH.`,
			Run: func(ctx context.Context, t *conformance.T) {
				a := verified(ctx, t)
				a.auth()
				c := verified(ctx, t)
				r := c.call("session/reauth", []any{map[string]any{"_id": a.sid, "hash": reauthHash(a.token + "x")}}, nil)
				c.expectMsg(r, 403, "CORE_SESSION_INVALID_REAUTH_HASH", "Reauth token hash invalid.")
			},
		},
		{
			ID: "limp/6.2/3", Level: must,
			Title:       "session/reauth of an unknown session gets 403 CORE_SESSION_INVALID_SESSION",
			Requirement: `An unknown session is answered 403 "Session is invalid." CORE_SESSION_INVALID_SESSION.`,
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				r := c.call("session/reauth", []any{map[string]any{"_id": unknownS, "hash": reauthHash("x")}}, nil)
				c.expectMsg(r, 403, "CORE_SESSION_INVALID_SESSION", "Session is invalid.")
			},
		},
		{
			ID: "limp/6.2/4", Level: must,
			Title:       "session/reauth of the anonymous session gets 400 CORE_SESSION_ANON_REAUTH",
			Requirement: `Reauth of the anonymous session is answered 400 "Reauth is not required for '__ANON' user." CORE_SESSION_ANON_REAUTH.`,
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				r := c.call("session/reauth", []any{map[string]any{"_id": anonSID, "hash": reauthHash(param(t, ParamAnonToken))}}, nil)
				c.expectMsg(r, 400, "CORE_SESSION_ANON_REAUTH", "Reauth is not required for '__ANON' user.")
			},
		},
		{
			ID: "limp/6.3/1", Level: must,
			Title:       "session/signout answers the anonymous session and deletes the session",
			Requirement: `Signout is answered 200 "You are successfully signed-out." with args.session._id the anonymous session; the session cannot be reauthed afterwards.`,
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.auth()
				sid, token := c.sid, c.token
				r := c.call("session/signout", []any{map[string]any{"_id": sid}}, nil)
				c.expectMsg(r, 200, "", "You are successfully signed-out.")
				if s := sessionOf(t, r); s.ID != anonSID {
					t.Failf("args.session._id "+anonSID, "%s", r.brief())
				}
				d := verified(ctx, t)
				d.expect(d.call("session/reauth", []any{map[string]any{"_id": sid, "hash": reauthHash(token)}}, nil), 403, "CORE_SESSION_INVALID_SESSION")
			},
		},
		{
			ID: "limp/6.3/2", Level: must,
			Title:       "session/signout without a session gets 400 CORE_SESSION_ANON_SIGNOUT",
			Requirement: `Signout on an anonymous connection is answered 400 "Singout is not allowed for '__ANON' user." (sic) CORE_SESSION_ANON_SIGNOUT.`,
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				r := c.call("session/signout", []any{map[string]any{"_id": anonSID}}, nil)
				c.expectMsg(r, 400, "CORE_SESSION_ANON_SIGNOUT", "Singout is not allowed for '__ANON' user.")
			},
		},
		{
			ID: "limp/6.3/3", Level: must,
			Title:       "session/signout naming an unknown session gets 403 CORE_SESSION_INVALID_SESSION",
			Requirement: "Signout whose _id names no session is answered 403 CORE_SESSION_INVALID_SESSION, and the connection keeps its session.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.auth()
				c.expect(c.call("session/signout", []any{map[string]any{"_id": unknownS}}, nil), 403, "CORE_SESSION_INVALID_SESSION")
				c.expect(c.call("heart/beat", nil, nil), 200, "CORE_HEARTBEAT_OK")
			},
		},
	}
}
