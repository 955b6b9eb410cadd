// Package fuzz attacks a live peer over the network with malformed and
// mutated protocol messages and checks that it stays up and answers as the
// specification says.
//
// Start here: one function per protocol, each returning a [Report] that
// lists every [Violation] with the input that caused it:
//
//   - [AFB] fuzzes an AGL binder (afb-daemon or any implementation)
//     through its x-afb-ws-json1 WebSocket and its HTTP API;
//   - [SimplePush] fuzzes a push server's user-agent WebSocket (mutated
//     hello, register and ack messages) and its endpoints (PUT abuse);
//   - [HTTPIPC] fuzzes an httpipc server at the frame level, over a unix
//     socket, TCP, or a command's stdin and stdout;
//   - [LIMP] fuzzes a LIMP server's calls (broken frames, tokens that
//     cannot be verified, generated well-signed calls);
//   - [Loop] fuzzes a Loop server's REST routes (broken bodies, malformed
//     Hawk headers, oversized inputs).
//
// They share one engine: inputs in batches with [Options].Workers in
// flight, a liveness probe after every batch (a failed probe reports the
// peer down with the batch that preceded, and stops the run), and
// [Options].Progress after each batch; [Options].Rate paces a peer with
// quotas. A MUST violation is confirmed by sending its input again: one
// that does not show the second time is reported as SHOULD, so that an
// intermittent slowness does not fail a run.
//
// Inputs are generated from Options.Seed and their index alone, so a
// violation is reproduced by running again with the same seed (the
// inputs' bytes are in the report too; SimplePush's HTTP inputs also
// depend on the endpoint its first probe registered). Structured inputs
// come from github.com/google/gofuzz; byte-level mutations of valid
// messages and transport-level tricks (WebSocket fragmentation and
// reserved frames; frames over the peer's limits) are added on top.
//
// What is checked is only what the specification mandates (see
// Violation.Rule), and for SimplePush only what both upstream dialects
// do: for example a malformed afb frame is answered with close 1008 and no
// reply, a valid call, hello, register or request is answered, a
// connection error of httpipc closes the connection without serving it,
// and an HTTP request never gets a 5xx except the 505 and 501 RFC 9110
// defines for an unknown version or method.
//
// Caveats: the afb fuzzer sends every request in the session
// AFBOptions.UUID so that it does not exhaust the peer's session table
// (--session-max); verbs with side effects are not called on purpose, but
// a mutated name could in principle hit one. The SimplePush fuzzer creates
// a user agent per input. Point them at test instances only.
package fuzz
