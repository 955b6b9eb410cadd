package afb

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	"github.com/appwire/appwire/conformance"
)

// Spec §2.1: the afb-reply object.

func replyCases() []conformance.Case {
	return []conformance.Case{{
		ID:          "afb/2.1/1",
		Title:       "GET hello/ping: the reply's members are response, jtype, request in that order; request starts with status, info",
		Level:       must,
		Profiles:    jsonC,
		Requirement: `Reply: {"response":<any, omitted when null>,"jtype":"afb-reply","request":{"status":"success"|<error>,"info":<string, omitted when null>, ...}} (json-c keeps insertion order). Needs the hello sample binding.`,
		Run: func(ctx context.Context, t *conformance.T) {
			_, r := ping(ctx, t, request{})
			if !slices.Equal(r.Members, []string{"response", "jtype", "request"}) {
				t.Failf("members response, jtype, request", "members %s: %s", strings.Join(r.Members, ", "), r.brief())
			}
			if len(r.ReqOrder) < 2 || r.ReqOrder[0] != "status" || r.ReqOrder[1] != "info" {
				t.Failf("request members status, info, ...", "request members %s", strings.Join(r.ReqOrder, ", "))
			}
		},
	}, {
		ID:          "afb/2.1/2",
		Title:       "GET hello/pingnull: the reply has no response member",
		Level:       must,
		Requirement: `Reply: "response" is omitted when null. Needs the hello sample binding.`,
		Run: func(ctx context.Context, t *conformance.T) {
			_, r := call(ctx, t, request{Path: "hello/pingnull"})
			skipUnknownAPI(t, r, "hello")
			expectStatus(t, r, "success")
			if !slices.Equal(r.Members, []string{"jtype", "request"}) {
				t.Failf("members jtype, request (no response)", "%s", r.brief())
			}
		},
	}, {
		ID:          "afb/2.1/3",
		Title:       "auth/connect?uuid=<new>&reqid=R creating a session: request members status, (info,) token, uuid, reqid in that order",
		Level:       compat,
		Profiles:    v6Only,
		Requirement: "V6-2019: optional members of request, in the order they are emitted: status, info, token, uuid, reqid (reqid is appended last, and only on HTTP). Needs the auth sample binding.",
		Run: func(ctx context.Context, t *conformance.T) {
			_, r := call(ctx, t, request{Path: "auth/connect", Query: url.Values{"uuid": {newID("s-")}, "token": {token(t)}, "reqid": {"R"}}})
			skipUnknownAPI(t, r, "auth")
			expectStatus(t, r, "success")
			var got []string
			for _, m := range r.ReqOrder {
				if slices.Contains([]string{"status", "info", "token", "uuid", "reqid"}, m) {
					got = append(got, m)
				}
			}
			if g := strings.Join(got, ","); g != "status,token,uuid,reqid" && g != "status,info,token,uuid,reqid" {
				t.Failf("request members status, (info,) token, uuid, reqid", "%s", r.brief())
			}
		},
	}, {
		ID:          "afb/2.1/4",
		Title:       "GET hello/ping: members jtype, request, response in that order; request is status, info, code with code 0",
		Level:       must,
		Profiles:    libafbOnly,
		Requirement: `libafb v4+: {"jtype":"afb-reply","request":{"status":"...","info":"...","code":<int>},"response":...}. Here jtype comes first, code is 0 or a negative errno-like value, and response comes last and is omitted when it is JSON null. Needs the hello sample binding.`,
		Run: func(ctx context.Context, t *conformance.T) {
			_, r := ping(ctx, t, request{})
			if !slices.Equal(r.Members, []string{"jtype", "request", "response"}) {
				t.Failf("members jtype, request, response", "members %s: %s", strings.Join(r.Members, ", "), r.brief())
			}
			if !slices.Equal(r.ReqOrder, []string{"status", "info", "code"}) || string(r.Req["code"]) != "0" {
				t.Failf(`request {"status":"success","info":...,"code":0}`, "%s", r.brief())
			}
			_, r = call(ctx, t, request{Path: "hello/pingfail"})
			var code int
			if !slices.Equal(r.Members, []string{"jtype", "request"}) || json.Unmarshal(r.Req["code"], &code) != nil || code > 0 {
				t.Failf(`hello/pingfail: members jtype, request, and request.code 0 or negative`, "%s", r.brief())
			}
		},
	}}
}
