// Package fuzz attacks a live peer over the network with malformed and
// mutated protocol messages and checks that it stays up and answers as the
// specification says.
//
// Start here: [AFB] fuzzes an AGL binder (afb-daemon or any
// implementation) through its x-afb-ws-json1 WebSocket and its HTTP API,
// and returns a [Report] listing every [Violation] with the input that
// caused it.
//
// Inputs are generated from Options.Seed and their index alone, so a
// violation is reproduced by running again with the same seed (the
// inputs' bytes are in the report too). Structured inputs come from
// github.com/google/gofuzz; byte-level mutations of valid frames and
// WebSocket-level tricks (fragmentation, unmasked or reserved frames) are
// added on top.
//
// What is checked is only what the specification mandates (see
// Violation.Rule): a malformed frame is answered with close 1008 and no
// reply; a valid call is answered; a client event is ignored; an RFC 6455
// violation fails the connection; HTTP garbage never gets a 5xx; and,
// after every batch, a fresh connection still gets a success reply to a
// known-good call (Options.Probe).
//
// Caveats: the fuzzer sends every request in the session Options.UUID so
// that it does not exhaust the peer's session table (--session-max);
// verbs with side effects are not called on purpose, but a mutated name
// could in principle hit one. Point it at test instances only.
package fuzz
