// Package spsuite is the SimplePush conformance suite: black-box checks of
// a push server's user-agent WebSocket and its app-server endpoint,
// following docs/protocols/simplepush.md.
//
// Start here: Suite returns the cases; run them with conformance.Runner
// against the WebSocket URL of the server (for example
// ws://127.0.0.1:8080/), or with "appwire conform simplepush URL".
// Endpoint cases PUT to the pushEndpoint URLs the server hands out; the
// endpoint parameter redirects them when the server advertises a host the
// harness cannot reach.
//
// Profiles follow the reference's [DISAGREE] notes: pushgo and autopush
// describe those upstreams as they are; appwire (the default) is this
// project's server as "appwire serve" runs it: pushgo on the wire, with
// the recommended stricter semantics for acks, versions and unregistered
// channels.
//
// Caveats: cases that need a short server timer (hello timeout, ping
// interval, retransmission) skip unless the matching parameter says what
// the target is configured with.
package spsuite

import "github.com/appwire/appwire/conformance"

// Profiles.
const (
	// ProfilePushgo is pushgo (v1.5): case-insensitive names, errors
	// echo the request and close, repeated hello answered again; an ack
	// drops the record whatever its version, the last PUT wins, a PUT
	// re-creates an unregistered channel, every ack re-flushes what is
	// pending.
	ProfilePushgo = "pushgo"
	// ProfileAutopush is autopush (Python, SimplePush era): exact names,
	// canonical identifiers only, errors keep the socket open, 4774 for
	// ping floods; an ack clears only the version sent or older, an older
	// version is not stored, nothing is delivered after unregister.
	ProfileAutopush = "autopush"
	// ProfileAppwire is this project's server (simplepush.Server with
	// its defaults): pushgo's wire dialect with autopush's ack and
	// version rules, 410 after unregister, and no re-send after an ack
	// of what the socket already got.
	ProfileAppwire = "appwire"
)

// Parameter names.
const (
	ParamEndpoint           = "endpoint"
	ParamMaxChannels        = "max-channels"
	ParamHelloTimeout       = "hello-timeout"
	ParamMinPingInterval    = "min-ping-interval"
	ParamRetransmitInterval = "retransmit-interval"
)

const (
	must   = conformance.Must
	should = conformance.Should
	compat = conformance.Compat
)

var (
	pushgoOnly   = []string{ProfilePushgo}
	autopushOnly = []string{ProfileAutopush}
	// pushgoWire: what pushgo does on the wire, which our server's
	// default (pushgo) dialect does too.
	pushgoWire = []string{ProfilePushgo, ProfileAppwire}
	// autopushRule: autopush's semantics, which our server follows in
	// both dialects.
	autopushRule = []string{ProfileAutopush, ProfileAppwire}
)

// Suite returns the SimplePush conformance suite. TARGET is the
// WebSocket URL user agents connect to.
func Suite() *conformance.Suite {
	s := &conformance.Suite{
		Name:  "simplepush",
		Title: "Mozilla SimplePush: user-agent WebSocket and app-server endpoint (docs/protocols/simplepush.md)",
		Sections: map[string]string{
			"1":   "Transport",
			"2":   "Identifiers",
			"3.1": "hello (handshake)",
			"3.2": "register",
			"3.3": "unregister",
			"3.4": "notification",
			"3.5": "ack",
			"3.6": "ping",
			"3.7": "Errors",
			"4":   "Endpoint",
			"5":   "Versions, delivery, retransmission",
			"7":   "Wake-up",
		},
		Profiles: []conformance.Profile{
			{Name: ProfileAppwire, Description: "this project's server as appwire serve runs it: pushgo's wire dialect, autopush's ack and version rules, 410 after unregister, no re-send after an ack of updates the socket already got"},
			{Name: ProfilePushgo, Description: "pushgo v1.5: case-insensitive names, error echo and close, repeated hello answered, 401 for ping floods; acks drop the record whatever the version, the last PUT wins, every ack re-flushes what is pending"},
			{Name: ProfileAutopush, Description: "autopush (Python, SimplePush era): exact names, canonical uaid and channel IDs, errors keep the socket, duplicate hello 401, close 4774 for ping floods; acks clear only the version sent or older, older versions are not stored, no delivery after unregister"},
		},
		Params: []conformance.Param{
			{Name: ParamEndpoint, Usage: "base URL (scheme://host[:port]) replacing the scheme and host of pushEndpoint URLs, when the target advertises a host the harness cannot reach"},
			{Name: ParamMaxChannels, Usage: "the target's max_channels: more channelIDs in hello reset the uaid (pushgo)", Default: "200"},
			{Name: ParamHelloTimeout, Usage: "the target's hello timeout (e.g. 1s); empty skips the hello-timeout case"},
			{Name: ParamMinPingInterval, Usage: "the target's minimum client ping interval (e.g. 500ms); empty skips the case pinging after it"},
			{Name: ParamRetransmitInterval, Usage: "the target's resend interval of unacked updates (e.g. 1s); empty skips the live-retransmission case"},
		},
	}
	for _, part := range [][]conformance.Case{
		transportCases(), idCases(), helloCases(), registerCases(), unregisterCases(),
		notificationCases(), ackCases(), pingCases(), errorCases(), endpointCases(), versionCases(), wakeupCases(),
	} {
		s.Cases = append(s.Cases, part...)
	}
	return s
}
