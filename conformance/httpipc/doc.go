// Package ipcsuite is the conformance suite for httpipc servers: Binary
// HTTP (RFC 9292) messages carried in the httpipc frame layer over a byte
// stream (docs/protocols/httpipc.md §3.2 to §3.6).
//
// Start here: Suite returns the cases for conformance.Runner; Handler is
// the reference handler the implementation under test must serve, so the
// cases have routes to call. From the command line:
//
//	appwire conform httpipc unix:///run/app/ipc.sock
//	appwire conform httpipc tcp://127.0.0.1:7000
//	appwire conform -command './myserver --stdio' httpipc stdio
//
// # Targets
//
// TARGET is a unix socket (unix:///path or a plain absolute path) or a TCP
// port (tcp://host:port). With the command param set, each case instead
// starts the command through /bin/sh, speaks to its stdin/stdout, and kills
// its process group when the case ends. Every case uses fresh connections.
// Failing to connect (or to start the command) is the only Error verdict;
// a target that closes the connection or stays silent where the spec wants
// an answer fails the case.
//
// # What is checked on every frame
//
// The suite parses the target's frames with its own reader, not the
// httpipc codec. Whatever a case is about, every frame the target sends is
// checked: HELLO first and only once, DATA only on odd streams, no frame
// longer than the max_frame_size the suite announced, no DATA beyond the
// credit the suite granted, well-formed RESET, GOAWAY, CREDIT and PING
// payloads. Requests are built with httpipc/bhttp or by hand (invalid
// ones always by hand); responses are decoded with httpipc/bhttp, and
// byte-level properties (framing indicator, panic text) are checked on the
// raw DATA bytes.
//
// # The reference handler
//
// Handler documents its routes: /echo, /status/N, /informational,
// /trailers, /panic, /slow and /bytes/N. A case whose route answers 404 is
// skipped, so a target serving only part of the contract still gets the
// frame-layer verdicts.
//
// # Params
//
// max-body, max-fields and max-field-length tell the suite the target's
// limits that HELLO does not announce (defaults: the spec's 8 MiB, 1000
// and 8 KiB). max_frame_size, max_concurrent_streams, max_header_bytes and
// the credits are read from the target's HELLO.
//
// # Caveats
//
// Cases about graceful shutdown start it from the client side (a client
// GOAWAY): a black-box suite cannot shut a server down. Cases that expect
// "nothing more" use a PING as a barrier, never a sleep; cases that expect
// a GOAWAY wait up to the case timeout before failing.
package ipcsuite
