// Package conformance is a black-box conformance harness for wire protocols,
// modelled on h2spec and the Autobahn WebSocket testsuite.
//
// Start here: a [Suite] is a list of [Case] values, each with an ID of the
// form "protocol/section/n", a title, a requirement [Level] and the spec text
// it checks. A [Runner] runs a suite against a [Target] (any implementation,
// given by URL) and returns a [Report], which [WriteText], [WriteJSON],
// [WriteJUnit] and [WriteHTML] render ([ReadJSON] reads reports back, so
// several runs merge into one HTML grid). The suites themselves live in
// sub-packages, one per protocol (for example conformance/afb). The section
// of a case ID is a numbered section of the protocol's reference in
// docs/protocols; [Reference] and [Case.SectionTitle] resolve it.
//
// # Verdicts
//
// Every case ends with one [Verdict]: Pass, Fail (an assertion about the
// target's behaviour did not hold: the result carries what was expected and
// what was seen), Skip (with a reason), Info (behaviour the spec leaves open;
// reported, never a failure) or Error (the harness could not judge, for
// example because the target could not be reached). A report is OK when no
// case failed or errored.
//
// # Writing cases
//
// A case's Run function gets a context that ends at the case's timeout and a
// [*T]. Use the context for every network call. Like testing.T, the methods
// that end a case (Failf, Errorf, Skipf, Infof) stop the calling goroutine,
// so they must be called from the goroutine running Run. Record what goes
// over the wire with [T.Sent] and [T.Received]: the last frames exchanged
// are printed with a failure.
//
// # Caveats
//
// A case that ignores its context and blocks forever is abandoned by the
// runner when the timeout and a short grace period have passed; its verdict
// is Error and its goroutine is leaked. The runner itself never hangs.
package conformance
