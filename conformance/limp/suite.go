// Package limpsuite is the LIMP conformance suite: black-box checks of a
// LIMP server's WebSocket API (docs/protocols/limp.md of the appwire
// repository): greeting and verify, token checks and key switching,
// auth, reauth and signout, the dispatch errors, quotas, heartbeat, idle
// close, the frame limit, chunked upload, and the query and update
// operators.
//
// Start here: Suite returns the cases; run them with conformance.Runner
// against the WebSocket URL of the server (ws://127.0.0.1:8081/ws), or
// with "appwire conform limp URL". Set the parameters to what the target
// is configured with: an app id it accepts, a user's credentials, a
// module with open CRUD methods for the query cases.
//
// Profiles: 6.0 (default) is what LIMP 6.0.5 does; appwire adds the
// answers the appwire server gives where 6.0 sends none or a bare 500
// (section 5.7).
//
// Tokens are signed and replies parsed here with the standard library
// only, never with the limpwire codec, so a codec bug cannot hide a
// server bug.
package limpsuite

import (
	"slices"
	"strconv"
	"strings"

	"github.com/appwire/appwire/conformance"
)

// Profiles.
const (
	Profile60      = "6.0"
	ProfileAppwire = "appwire"
)

// Parameter names.
const (
	ParamApp            = "app"
	ParamWrongApp       = "wrong-app"
	ParamAnonToken      = "anon-token"
	ParamAuthAttr       = "auth-attr"
	ParamAuthValue      = "auth-value"
	ParamPassword       = "password"
	ParamHashLevel      = "hash-level"
	ParamCollection     = "collection"
	ParamUploadEndpoint = "upload-endpoint"
	ParamQuotaAnon      = "quota-anon"
	ParamConnTimeout    = "conn-timeout"
	ParamMaxFrame       = "max-frame"
)

const (
	must   = conformance.Must
	should = conformance.Should
	compat = conformance.Compat
)

var appwireOnly = []string{ProfileAppwire}

// Suite returns the LIMP conformance suite. TARGET is the WebSocket URL
// (ws://host:port/ws).
func Suite() *conformance.Suite {
	s := &conformance.Suite{
		Name:  "limp",
		Title: "LIMP 6.0: calls over a WebSocket signed as HS256 JWTs (docs/protocols/limp.md)",
		Sections: map[string]string{
			"1": "Transport", "2.1": "Greeting", "2.2": "Verify", "2.3": "Closing",
			"3.3": "Signing and verification", "3.4": "Key switching",
			"4.2": "Results of the data methods", "4.3": "Watch tasks",
			"5.1": "Quotas", "5.2": "Parsing", "5.3": "Endpoint and path", "5.4": "Modules and methods",
			"5.5": "Permissions and arguments", "5.6": "Reply suppression", "5.7": "Where 6.0 fails silently",
			"6.1": "Auth", "6.2": "Reauth", "6.3": "Signout", "6.4": "Heartbeat and idle close",
			"7": "File upload", "8.1": "Query structure", "8.2": "Attribute operators", "8.3": "Special keys",
			"8.4": "Update operators", "8.5": "Soft delete",
		},
		Profiles: []conformance.Profile{
			{Name: Profile60, Description: "LIMP 6.0.5 with ng-limp 6.0.0, as it behaves on the wire"},
			{Name: ProfileAppwire, Description: "6.0, plus answers with the call_id where 6.0 sends nothing or a bare 500 (unknown query operator, missing sid, malformed upload chunk)"},
		},
		Params: []conformance.Param{
			{Name: ParamApp, Usage: "the app id conn/verify sends (any value works on a server without client apps)"},
			{Name: ParamWrongApp, Usage: "an app id the target refuses; empty skips the refused-verify case"},
			{Name: ParamAnonToken, Usage: "the target's anonymous token", Default: "__ANON_TOKEN_f00000000000000000000012"},
			{Name: ParamAuthAttr, Usage: "the auth attribute of the test user (email, username or phone)", Default: "email"},
			{Name: ParamAuthValue, Usage: "the test user's value of that attribute", Default: "ADMIN@LIMP.MASAAR.COM"},
			{Name: ParamPassword, Usage: "the test user's password", Default: "__ADMIN"},
			{Name: ParamHashLevel, Usage: "the hash level the test user's hash was stored at: 5.6 or 5.0", Default: "5.6"},
			{Name: ParamCollection, Usage: "a module whose read, create, update and delete methods anyone may call, for the query cases; empty skips them"},
			{Name: ParamUploadEndpoint, Usage: "a method that takes uploaded files under doc.files and answers docs[0].files[i].size; empty skips that case"},
			{Name: ParamQuotaAnon, Usage: "the target's per-connection anonymous quota per window", Default: "40", Kind: conformance.ParamInt},
			{Name: ParamConnTimeout, Usage: "the target's idle timeout plus its check period when short (e.g. 2s); empty skips the idle-close case", Kind: conformance.ParamDuration},
			{Name: ParamMaxFrame, Usage: "the target's largest message in bytes", Default: "4194304", Kind: conformance.ParamInt},
		},
	}
	for _, part := range [][]conformance.Case{
		connCases(), tokenCases(), dispatchCases(), sessionCases(), uploadCases(), queryCases(),
	} {
		s.Cases = append(s.Cases, part...)
	}
	// Report order is section order.
	slices.SortStableFunc(s.Cases, func(a, b conformance.Case) int { return slices.Compare(idKey(a.ID), idKey(b.ID)) })
	return s
}

// idKey turns "limp/8.2/11" into [8 2 0 11] for sorting.
func idKey(id string) []int {
	parts := strings.Split(id, "/")
	var k []int
	for _, p := range strings.Split(parts[1], ".") {
		n, _ := strconv.Atoi(p)
		k = append(k, n)
	}
	for len(k) < 3 {
		k = append(k, 0)
	}
	n, _ := strconv.Atoi(parts[2])
	return append(k, n)
}
