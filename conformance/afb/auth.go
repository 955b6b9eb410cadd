package afb

import (
	"context"
	"net/url"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/conformance/kit"
)

// Spec §3.1 and §3.5: the initial token and the auth sample binding's
// connect / check / refresh / logout sequence, over HTTP on a session of
// the case's own (a client-chosen uuid).

// authCall calls auth/<verb> on session uuid with token tok ("" sends
// none).
func authCall(ctx context.Context, t *conformance.T, verb, uuid, tok string) *reply {
	q := url.Values{"uuid": {uuid}}
	if tok != "" {
		q.Set("token", tok)
	}
	_, r := call(ctx, t, request{Path: "auth/" + verb, Query: q})
	skipUnknownAPI(t, r, "auth")
	return r
}

// connect calls auth/connect with the initial token on session uuid and
// fails unless it succeeds.
func connect(ctx context.Context, t *conformance.T, uuid string) (tok string, r *reply) {
	r = authCall(ctx, t, "connect", uuid, token(t))
	expectStatus(t, r, "success")
	return r.get("token"), r
}

// expectAuth fails unless r has status and, when info is not "", info.
func expectAuth(t *conformance.T, r *reply, what, status, info string) {
	if r.Status != status || (info != "" && r.Info != info) {
		exp := what + `: status "` + status + `"`
		if info != "" {
			exp += `, info "` + info + `"`
		}
		t.Failf(exp, "%s", r.brief())
	}
}

func tokenCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "afb/3.1/1",
		Title:       "auth/connect on a new session with ?token=<initial token> succeeds",
		Level:       must,
		Profiles:    v6Only,
		Requirement: "--token=X: every new session starts with token X. Needs the auth sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			connect(ctx, t, newID("s-"))
		},
	}, {
		ID:          "afb/3.1/2",
		Title:       "auth/connect on a new session with a wrong token gives denied / invalid token's identity",
		Level:       must,
		Profiles:    v6Only,
		Requirement: "Every new session starts with token X; V6-2019: a token check failure is denied / \"invalid token's identity\". Needs the auth sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			needToken(t)
			r := authCall(ctx, t, "connect", newID("s-"), newID("wrong-"))
			expectAuth(t, r, "a wrong token", "denied", "invalid token's identity")
		},
	}}
}

func authCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "afb/3.5/1",
		Title:       "after auth/connect → T1: check(T1) gives {\"isvalid\":true}, check without a token is denied",
		Level:       compat,
		Profiles:    v6Only,
		Requirement: "Observed V6-2019 sequence: connect(HELLO) → success + token T1. check(T1) → success. check(no token) → denied. Needs the auth sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := newID("s-")
			t1, _ := connect(ctx, t, u)
			r := authCall(ctx, t, "check", u, t1)
			expectAuth(t, r, "check(T1)", "success", "")
			if !kit.JSONEqual(r.Obj["response"], []byte(`{"isvalid":true}`)) {
				t.Failf(`response {"isvalid":true}`, "%s", r.brief())
			}
			expectAuth(t, authCall(ctx, t, "check", u, ""), "check without a token", "denied", "")
		},
	}, {
		ID:          "afb/3.5/2",
		Title:       "auth/refresh(T1) → T2: check(T1) is denied, check(T2) succeeds",
		Level:       compat,
		Profiles:    v6Only,
		Requirement: "Observed V6-2019 sequence: refresh(T1) → success + T2. check(T1) → denied. check(T2) → success. Needs the auth sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := newID("s-")
			t1, _ := connect(ctx, t, u)
			r := authCall(ctx, t, "refresh", u, t1)
			expectAuth(t, r, "refresh(T1)", "success", "")
			t2 := r.get("token")
			if t2 == "" || t2 == t1 {
				t.Failf("request.token: a new token T2", "%s", r.brief())
			}
			expectAuth(t, authCall(ctx, t, "check", u, t1), "check(T1) after refresh", "denied", "invalid token's identity")
			expectAuth(t, authCall(ctx, t, "check", u, t2), "check(T2)", "success", "")
		},
	}, {
		ID:          "afb/3.5/3",
		Title:       "auth/logout then auth/check with the same token gives an LOA failure (invalid LOA)",
		Level:       compat,
		Profiles:    v6Only,
		Requirement: "Observed V6-2019 sequence: logout(T) → success. check(T) after logout → denied / invalid LOA. Needs the auth sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := newID("s-")
			tok, _ := connect(ctx, t, u)
			expectAuth(t, authCall(ctx, t, "check", u, tok), "check after connect", "success", "")
			expectAuth(t, authCall(ctx, t, "logout", u, tok), "logout", "success", "")
			expectAuth(t, authCall(ctx, t, "check", u, tok), "check after logout", "denied", "invalid LOA")
		},
	}, {
		ID:          "afb/3.5/4",
		Title:       "auth/check with a wrong token is denied and the session's token T1 still works after it",
		Level:       compat,
		Profiles:    v6Only,
		Requirement: "V6-2019: on a token failure the session is marked closing, which only resets LOA to 0 and drops the per-api context. The session and its token survive (observed: after a WRONG token the old good token still works). Needs the auth sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := newID("s-")
			t1, _ := connect(ctx, t, u)
			expectAuth(t, authCall(ctx, t, "check", u, newID("wrong-")), "check(WRONG)", "denied", "invalid token's identity")
			r := authCall(ctx, t, "connect", u, t1)
			expectAuth(t, r, "connect(T1) after the wrong token (T1 survives, LOA back to 0)", "success", "")
		},
	}, {
		ID:          "afb/3.5/5",
		Title:       "auth/connect with the initial token is denied once connected, and still after logout",
		Level:       compat,
		Profiles:    v6Only,
		Requirement: "Observed V6-2019 sequence: connect(HELLO) again → denied (the token is now T1). connect(HELLO) after logout → denied (V6: the token was not reset). Needs the auth sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			needToken(t)
			u := newID("s-")
			t1, _ := connect(ctx, t, u)
			expectAuth(t, authCall(ctx, t, "connect", u, token(t)), "connect(initial token) again", "denied", "")
			expectAuth(t, authCall(ctx, t, "logout", u, t1), "logout(T1)", "success", "")
			expectAuth(t, authCall(ctx, t, "connect", u, token(t)), "connect(initial token) after logout", "denied", "")
		},
	}, {
		ID:          "afb/3.5/6",
		Title:       "with one accepted token T: connect(T), check(T) gives {\"isvalid\":true}, logout(T), then check(T) gives insufficient-scope / invalid LOA",
		Level:       compat,
		Profiles:    finalLike,
		Requirement: "AGL-final removed the initial token: tokens are opaque, validity is a permission check, nothing is handed out (no token in replies). The LOA failure becomes insufficient-scope / invalid LOA. connect sets LOA=1; check needs LOA ≥ 1; logout sets LOA←0. Needs the auth sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			u := newID("s-")
			_, r := connect(ctx, t, u)
			if r.has("token") {
				t.Failf("no request.token: tokens are not handed out", "%s", r.brief())
			}
			r = authCall(ctx, t, "check", u, token(t))
			expectAuth(t, r, "check(T) after connect(T)", "success", "")
			if !kit.JSONEqual(r.Obj["response"], []byte(`{"isvalid":true}`)) {
				t.Failf(`response {"isvalid":true}`, "%s", r.brief())
			}
			expectAuth(t, authCall(ctx, t, "logout", u, token(t)), "logout(T)", "success", "")
			expectAuth(t, authCall(ctx, t, "check", u, token(t)), "check(T) after logout", "insufficient-scope", "invalid LOA")
		},
	}}
}
