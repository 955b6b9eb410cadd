// Package loopsuite is the conformance suite of the Firefox Hello (Loop)
// REST API: black-box checks of a Loop server's HTTP endpoints, its Hawk
// authentication, its call websocket and timers, and the SimplePush
// wake-up it sends to callees, following docs/protocols/loop.md (the case
// IDs are its section numbers).
//
// Start here: Suite returns the cases; run them with conformance.Runner
// against the server's base URL (for example http://127.0.0.1:5000), or
// with "appwire conform loop URL".
//
// Profiles are the two upstream versions: 0.17 (loop-server 0.17.8, the
// default: the whole registration, call-url, call flow) and head (2016:
// POST /call-url answers 405). Cases that need a call URL can only make
// one under 0.17 and run there only.
//
// The suite signs its Hawk requests with its own few lines of Hawk (not
// the loopapi/hawk package), so a bug shared by a client and a server
// library cannot hide. It runs its own HTTP push sink, registers it as
// the callee's SimplePush URL and watches for the wake-up PUT; the target
// must be able to reach the sink (ParamPushSinkHost).
//
// Parameters cover what a black-box suite cannot create or know: a
// BrowserID assertion format for registered-user routes (with the local
// test verifier of the reference server, "local:{identity}"), whether the
// target refuses replayed nonces (upstream did not), its call timers, its
// call duration, and an Origin it allows. Cases whose parameter is empty
// skip with a message saying which one to set.
package loopsuite

import "github.com/appwire/appwire/conformance"

// Profiles.
const (
	// Profile017 is loop-server 0.17.8 (July 2015).
	Profile017 = "0.17"
	// ProfileHead is loop-server HEAD (2016): POST /call-url is gone.
	ProfileHead = "head"
)

// Parameter names.
const (
	// ParamAssertion is a BrowserID assertion template; "{identity}" is
	// replaced by a fresh e-mail address per use ("local:{identity}" for
	// the reference server's local verifier). Empty skips the cases of
	// registered users.
	ParamAssertion = "assertion"
	// ParamReplayCheck says the target refuses a replayed Hawk nonce
	// (true for appwire's server; loop-server gave the hawk library no
	// nonce check). Empty skips the replay case.
	ParamReplayCheck = "replay-check"
	// ParamAllowedOrigin is an Origin the target's CORS list accepts.
	ParamAllowedOrigin = "allowed-origin"
	// ParamSupervisory, ParamRinging and ParamConnection are the target's
	// call timers (timers.supervisoryDuration, ringingDuration,
	// connectionDuration); empty skips the case that waits for it.
	ParamSupervisory = "supervisory-duration"
	ParamRinging     = "ringing-duration"
	ParamConnection  = "connection-duration"
	// ParamCallDuration is the target's callDuration (how long a call
	// record lives); empty skips the call-expiry case.
	ParamCallDuration = "call-duration"
	// ParamPushSinkHost is the address the suite's push sink listens on
	// and the target reaches it at.
	ParamPushSinkHost = "push-sink-host"
)

const (
	must   = conformance.Must
	should = conformance.Should
	compat = conformance.Compat
)

var (
	only017  = []string{Profile017}
	onlyHead = []string{ProfileHead}
)

// Suite returns the Loop conformance suite. TARGET is the server's base
// URL (scheme://host:port, optionally with the /v0 prefix).
func Suite() *conformance.Suite {
	s := &conformance.Suite{
		Name:  "loop",
		Title: "Firefox Hello (Loop) REST API with Hawk, the call websocket and SimplePush wake-up (docs/protocols/loop.md)",
		Sections: map[string]string{
			"1.1":  "Mounts and the redirect",
			"1.2":  "Common response headers",
			"1.3":  "CORS",
			"1.4":  "Request bodies",
			"2.1":  "The error body",
			"3.1":  "The Authorization header",
			"3.2":  "The normalized string, MACs and payload hashes",
			"3.3":  "Verification and its failures",
			"3.4":  "Timestamps and the skew",
			"3.5":  "Nonces and replays",
			"3.6":  "Server-Authorization",
			"3.7":  "Session tokens",
			"3.8":  "Sessions, users and the authenticate step",
			"4.1":  "GET /",
			"4.2":  "Heartbeats",
			"4.3":  "GET /push-server-config",
			"4.4":  "POST /registration",
			"4.5":  "DELETE /registration",
			"4.6":  "POST /call-url",
			"4.7":  "GET /call-url",
			"4.8":  "PUT /call-url/{token}",
			"4.9":  "DELETE /call-url/{token}",
			"4.10": "GET /calls/{token}",
			"4.11": "POST /calls/{token}",
			"4.12": "GET /calls?version",
			"4.13": "POST /calls (direct calls)",
			"4.14": "DELETE /account",
			"4.15": "DELETE /session",
			"5.2":  "hello",
			"5.3":  "Progress broadcasts",
			"5.4":  "Actions",
			"5.5":  "Timers",
			"5.6":  "Call expiry",
			"6":    "Wake-up through SimplePush",
			"8.1":  "Creating rooms",
			"8.3":  "Joining, refreshing and leaving",
		},
		Profiles: []conformance.Profile{
			{Name: Profile017, Description: "loop-server 0.17.8 (July 2015): registration, call URLs, calls, rooms"},
			{Name: ProfileHead, Description: "loop-server HEAD (2016): as 0.17.8, but POST /call-url answers 405 errno 204"},
		},
		Params: []conformance.Param{
			{Name: ParamAssertion, Usage: `BrowserID assertion template, "{identity}" replaced by a fresh address (e.g. "local:{identity}" for appwire's local verifier); empty skips registered-user cases`},
			{Name: ParamReplayCheck, Usage: "true when the target refuses a replayed Hawk nonce (upstream loop-server does not check); empty skips the replay case", Kind: conformance.ParamBool},
			{Name: ParamAllowedOrigin, Usage: "an Origin in the target's allowedOrigins", Default: "http://localhost:3000"},
			{Name: ParamSupervisory, Usage: "the target's timers.supervisoryDuration (e.g. 300ms); empty skips the case waiting for it", Kind: conformance.ParamDuration},
			{Name: ParamRinging, Usage: "the target's timers.ringingDuration; empty skips the case waiting for it", Kind: conformance.ParamDuration},
			{Name: ParamConnection, Usage: "the target's timers.connectionDuration; empty skips the case waiting for it", Kind: conformance.ParamDuration},
			{Name: ParamCallDuration, Usage: "the target's callDuration (a call's lifetime); empty skips the call-expiry case", Kind: conformance.ParamDuration},
			{Name: ParamPushSinkHost, Usage: "address the suite's SimplePush sink listens on, as the target reaches it", Default: "127.0.0.1"},
		},
	}
	for _, part := range [][]conformance.Case{
		transportCases(), hawkCases(), endpointCases(), callURLCases(), callCases(), wsCases(), wakeupCases(), roomCases(),
	} {
		s.Cases = append(s.Cases, part...)
	}
	return s
}
