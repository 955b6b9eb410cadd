// Package appwire is a suite of pure-Go wire-protocol libraries, reference
// servers, conformance suites and fuzzers for the protocols that let apps talk
// to local or remote services that are asleep, offline or behind a binder.
//
// Start here:
//
//   - [github.com/appwire/appwire/afbproto]: the AGL binder (afb-daemon) HTTP
//     and x-afb-ws-json1 protocol: codec, client, reference binder.
//   - [github.com/appwire/appwire/conformance]: the black-box conformance
//     harness; one suite per protocol lives below it.
//   - cmd/appwire: the command line. "appwire serve" starts every reference
//     server on loopback, "appwire conform PROTOCOL URL" runs a suite against
//     any implementation.
//
// This root package holds no code; it only documents the module.
package appwire
