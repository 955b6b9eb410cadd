package afb

import "github.com/appwire/appwire/conformance"

// Profiles.
const (
	// ProfileV6 follows afb-daemon V6-2019, the reference peer: tokens are
	// refreshed and sent back, replies carry uuid and reqid, refreshed
	// tokens make 4-element WebSocket replies, the upgrade needs a valid
	// token.
	ProfileV6 = "v6"
	// ProfileFinal follows the reply format of AGL-final (after November
	// 2019): no token or uuid in replies, no 4-element WebSocket replies.
	// Cases on behaviour both generations share run under it too; the
	// session semantics that AGL-final changed (cookie on every reply, no
	// token check at upgrade, 401/403 statuses) have no cases yet.
	ProfileFinal = "final"
)

// Levels, short.
const (
	must   = conformance.Must
	should = conformance.Should
	compat = conformance.Compat
)

var (
	v6Only    = []string{ProfileV6}
	finalOnly = []string{ProfileFinal}
)

// Suite returns the afb conformance suite: black-box checks of an
// afb-daemon's HTTP API and its x-afb-ws-json1 WebSocket protocol,
// following /work/shared/specs/afb.md. TARGET is the API root URL, such as
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
			{Name: ProfileFinal, Description: "AGL-final (after Nov 2019) reply format: no token or uuid in replies, no 4-element replies"},
		},
		Params: []conformance.Param{
			{Name: "token", Usage: "the target's initial token (afb-daemon --token); empty means every token is accepted"},
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
