package afb

import "github.com/appwire/appwire/conformance"

// Profiles.
const (
	// ProfileV6 follows afb-daemon V6-2019, the reference peer: tokens are
	// refreshed and sent back, replies carry uuid and reqid, refreshed
	// tokens make 4-element WebSocket replies, the upgrade needs a valid
	// token.
	ProfileV6 = "v6"
	// ProfileFinal follows AGL-final (after November 2019): no token or
	// uuid in replies, no 4-element WebSocket replies, no initial token
	// (a token is valid when the target's permission check says so),
	// tokens also read from Authorization: Bearer and access_token, the
	// cookie on every reply, invalid-token as 401 and insufficient-scope
	// as 403 with WWW-Authenticate, no token check at the upgrade, and a
	// call's token replacing its connection's.
	ProfileFinal = "final"
	// ProfileLibafb follows redpesk libafb v4/v5: AGL-final's token rules
	// and reply contents, its own reply and event member order with the
	// integer request.code, 404 for unknown-api and unknown-verb, and
	// SameSite=Lax on the session cookie.
	ProfileLibafb = "libafb"
)

// Levels, short.
const (
	must   = conformance.Must
	should = conformance.Should
	compat = conformance.Compat
)

var (
	v6Only     = []string{ProfileV6}
	finalOnly  = []string{ProfileFinal}
	libafbOnly = []string{ProfileLibafb}
	// finalLike: the AGL-final token model, shared by libafb.
	finalLike = []string{ProfileFinal, ProfileLibafb}
	// jsonC: json-c's member order (V1-2016 to AGL-final).
	jsonC = []string{ProfileV6, ProfileFinal}
)

// Suite returns the afb conformance suite: black-box checks of an
// afb-daemon's HTTP API and its x-afb-ws-json1 WebSocket protocol,
// following docs/protocols/afb.md. TARGET is the API root URL, such as
// http://127.0.0.1:1234/api. Cases marked as needing the auth or hello
// sample bindings skip when the target has no such API.
func Suite() *conformance.Suite {
	s := &conformance.Suite{
		Name:  "afb",
		Title: "AGL afb-daemon HTTP API and x-afb-ws-json1 WebSocket protocol",
		Sections: map[string]string{
			"1.1": "URL layout",
			"1.2": "Arguments",
			"1.3": "Session and token inputs",
			"1.4": "Session cookie",
			"1.5": "HTTP status codes",
			"2.1": "Reply",
			"2.2": "Event payload",
			"3.1": "Initial token",
			"3.2": "Session lookup and creation",
			"3.3": "When token and uuid are sent back",
			"3.5": "The auth sample binding",
			"4.1": "WebSocket upgrade",
			"4.2": "Frames",
			"4.3": "Events and subscription",
		},
		Profiles: []conformance.Profile{
			{Name: ProfileV6, Description: "afb-daemon V6-2019: tokens refreshed and returned, uuid and reqid in replies, 4-element replies, token checked at upgrade"},
			{Name: ProfileFinal, Description: "AGL-final (after Nov 2019): no token or uuid in replies, no 4-element replies, Bearer and access_token inputs, cookie on every reply, 401/403 with WWW-Authenticate, no token check at upgrade, a call's token replaces the connection's"},
			{Name: ProfileLibafb, Description: "redpesk libafb v4/v5: AGL-final's token rules, jtype-first replies and events with request.code, 404 for unknown api/verb, SameSite=Lax cookie"},
		},
		Params: []conformance.Param{
			{Name: "token", Usage: "v6: the target's initial token (afb-daemon --token), empty meaning every token is accepted; final, libafb: a token the target accepts"},
			{Name: "badtoken", Usage: "final, libafb: a token the target's token-validity check (urn:AGL:token:valid) rejects; without it (every token is valid without Cynara) the cases needing a rejected token skip"},
			{Name: "port", Usage: "the daemon's --port, naming the session cookie x-afb-uuid-PORT (default: the TARGET URL's port)"},
		},
	}
	for _, part := range [][]conformance.Case{
		urlCases(), argCases(), inputCases(), cookieCases(), statusCases(),
		replyCases(), eventShapeCases(), tokenCases(), sessionCases(), sentBackCases(), authCases(),
		upgradeCases(), frameCases(), eventCases(),
	} {
		s.Cases = append(s.Cases, part...)
	}
	return s
}
