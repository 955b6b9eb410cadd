package limpsuite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/appwire/appwire/conformance"
)

// quietFor is how long "no reply" cases wait.
const quietFor = 400 * time.Millisecond

// dispatchCases: section 5.
func dispatchCases() []conformance.Case {
	return []conformance.Case{
		{
			ID: "limp/5.1/1", Level: must,
			Title:       "an anonymous connection is admitted quota-1 messages per window, then 429 CORE_REQ_SESSION_QUOTA_HIT",
			Requirement: "With a connection quota Q, a window admits Q-1 messages (verify and heartbeats count); the next is answered 429 CORE_REQ_SESSION_QUOTA_HIT and the connection stays.",
			Run: func(ctx context.Context, t *conformance.T) {
				q, _ := t.ParamInt(ParamQuotaAnon)
				if q < 2 || q > 1000 {
					t.Skipf("%s %d is not a quota the case can exhaust", ParamQuotaAnon, q)
				}
				c := verified(ctx, t) // message 1
				for i := 2; i < q; i++ {
					r := c.call("heart/beat", nil, nil)
					if r.Status != 200 {
						t.Failf(fmt.Sprintf("message %d of %d admitted", i, q-1), "%s", r.brief())
					}
				}
				r := c.call("heart/beat", nil, nil)
				c.expectMsg(r, 429, "CORE_REQ_SESSION_QUOTA_HIT", "You have hit calls quota.")
			},
		},
		{
			ID: "limp/5.2/1", Level: compat,
			Title:       "a message that is not JSON gets 500 CORE_SERVER_ERROR",
			Requirement: "A message that does not parse as JSON is answered 500 CORE_SERVER_ERROR (without call_id).",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.ws.Send("{not json")
				c.expect(c.read("500 CORE_SERVER_ERROR"), 500, "CORE_SERVER_ERROR")
			},
		},
		{
			ID: "limp/5.3/1", Level: must,
			Title:       "a call without endpoint gets 400 CORE_REQ_NO_ENDPOINT",
			Requirement: `A token without an endpoint claim is answered 400 "Request missing endpoint." CORE_REQ_NO_ENDPOINT.`,
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				id := newID()
				m := c.claims("", nil, nil, id)
				delete(m, "endpoint")
				c.sendClaims(sdkHeader, m, c.key, id)
				c.expectMsg(c.read("400 CORE_REQ_NO_ENDPOINT"), 400, "CORE_REQ_NO_ENDPOINT", "Request missing endpoint.")
			},
		},
		{
			ID: "limp/5.3/2", Level: must,
			Title:       "an endpoint of three parts gets 400 CORE_REQ_INVALID_PATH",
			Requirement: "An endpoint that is not exactly two /-separated parts is answered 400 CORE_REQ_INVALID_PATH.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.expect(c.call("user/read/x", nil, nil), 400, "CORE_REQ_INVALID_PATH")
			},
		},
		{
			ID: "limp/5.3/3", Level: must,
			Title:       "the endpoint is lower-cased: SESSION/AUTH reaches session/auth",
			Requirement: "The server lower-cases the endpoint before looking up the module and method.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				r := c.call("SESSION/AUTH", nil, map[string]any{"email": "nobody@limp.invalid", "hash": authHash(t, "email", "nobody@limp.invalid", "x")})
				c.expect(r, 403, "CORE_SESSION_INVALID_CREDS")
			},
		},
		{
			ID: "limp/5.3/4", Level: compat,
			Title:       "HEART/BEAT is not the heartbeat: it is looked up as module heart",
			Requirement: "conn/close and heart/beat are matched exactly, before lower-casing; HEART/BEAT names an unknown module.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.expect(c.call("HEART/BEAT", nil, nil), 400, "CORE_REQ_INVALID_MODULE")
			},
		},
		{
			ID: "limp/5.4/1", Level: must,
			Title:       "an unknown module gets 400 CORE_REQ_INVALID_MODULE",
			Requirement: `An unknown module is answered 400 "Endpoint module is invalid." CORE_REQ_INVALID_MODULE.`,
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.expectMsg(c.call("nosuchmodule/read", nil, nil), 400, "CORE_REQ_INVALID_MODULE", "Endpoint module is invalid.")
			},
		},
		{
			ID: "limp/5.4/2", Level: must,
			Title:       "an unknown method gets 400 CORE_REQ_INVALID_METHOD",
			Requirement: `An unknown method of a known module is answered 400 "Endpoint method is invalid." CORE_REQ_INVALID_METHOD.`,
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.expectMsg(c.call("session/nosuchmethod", nil, nil), 400, "CORE_REQ_INVALID_METHOD", "Endpoint method is invalid.")
			},
		},
		{
			ID: "limp/5.5/1", Level: must,
			Title:       "an anonymous user/read gets 403 CORE_SESSION_FORBIDDEN",
			Requirement: "A caller without the method's privilege is answered 403 CORE_SESSION_FORBIDDEN.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.expect(c.call("user/read", nil, nil), 403, "CORE_SESSION_FORBIDDEN")
			},
		},
		{
			ID: "limp/5.5/2", Level: must,
			Title:       "session/auth with an empty doc gets 400 CORE_SESSION_INVALID_DOC",
			Requirement: "A doc matching none of the method's doc_args sets is answered 400 {PKG}_{MODULE}_INVALID_DOC.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				r := c.call("session/auth", nil, map[string]any{})
				c.expect(r, 400, "CORE_SESSION_INVALID_DOC")
				if !strings.HasPrefix(r.Msg, "Could not match doc with any of the required doc_args.") {
					t.Failf(`msg "Could not match doc with any of the required doc_args. ..."`, "%s", r.brief())
				}
			},
		},
		{
			ID: "limp/5.5/3", Level: must,
			Title:       "session/reauth with an empty query gets 400 CORE_SESSION_INVALID_QUERY",
			Requirement: "A query matching none of the method's query_args sets is answered 400 {PKG}_{MODULE}_INVALID_QUERY.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.expect(c.call("session/reauth", nil, nil), 400, "CORE_SESSION_INVALID_QUERY")
			},
		},
		{
			ID: "limp/5.6/1", Level: compat,
			Title:       "a method result for an empty call_id is not sent",
			Requirement: "The result of a method is sent only when the call_id is not empty.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				m := c.claims("session/auth", nil, map[string]any{"email": "nobody@limp.invalid", "hash": "x"}, "")
				c.sendClaims(sdkHeader, m, c.key, "")
				c.expectNothing(quietFor, "no reply")
			},
		},
		{
			ID: "limp/5.6/2", Level: compat,
			Title:       "a method result for call_id __TEST__ is not sent",
			Requirement: "The result of a method is sent only when the call_id is not __TEST__.",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				m := c.claims("session/auth", nil, map[string]any{"email": "nobody@limp.invalid", "hash": "x"}, "__TEST__")
				c.sendClaims(sdkHeader, m, c.key, "__TEST__")
				c.expectNothing(quietFor, "no reply")
			},
		},
		{
			ID: "limp/5.7/1", Level: must, Profiles: appwireOnly,
			Title:       "a query with an unknown operator ($not) gets 400 ..._INVALID_QUERY with the call_id",
			Requirement: "A query that cannot be compiled is answered 400 with a code ending INVALID_QUERY and the call_id (6.0 sends nothing).",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				c.auth()
				r := c.call("user/read", []any{map[string]any{"email": map[string]any{"$not": "x"}}}, nil)
				c.expect(r, 400, "")
				if !strings.HasSuffix(r.code(), "INVALID_QUERY") {
					t.Failf("a code ending INVALID_QUERY", "%s", r.brief())
				}
			},
		},
		{
			ID: "limp/5.7/2", Level: must, Profiles: appwireOnly,
			Title:       "a call without sid gets 400 CORE_REQ_INVALID_CALL with the call_id",
			Requirement: "A call without sid is answered 400 CORE_REQ_INVALID_CALL with the call_id (6.0: a bare 500).",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				id := newID()
				m := c.claims("user/read", nil, nil, id)
				delete(m, "sid")
				c.sendClaims(sdkHeader, m, c.key, id)
				r := c.read("400 CORE_REQ_INVALID_CALL")
				c.expect(r, 400, "CORE_REQ_INVALID_CALL")
				if r.callID() != id {
					t.Failf("args.call_id "+id, "%s", r.brief())
				}
			},
		},
		{
			ID: "limp/5.7/3", Level: must, Profiles: appwireOnly,
			Title:       "an upload chunk 2 without chunk 1 gets 400 CORE_FILE_INVALID_UPLOAD with the call_id",
			Requirement: "A malformed upload chunk is answered 400 CORE_FILE_INVALID_UPLOAD with the call_id (6.0: a bare 500).",
			Run: func(ctx context.Context, t *conformance.T) {
				c := verified(ctx, t)
				r := c.call("file/upload", nil, chunkDoc("files", "0", 2, 2, []byte{1, 2}, 4))
				c.expect(r, 400, "CORE_FILE_INVALID_UPLOAD")
			},
		},
	}
}
