package ipcsuite

import "github.com/appwire/appwire/conformance"

// Levels, short.
const (
	must   = conformance.Must
	should = conformance.Should
)

// Suite returns the httpipc conformance suite: black-box checks of an
// httpipc server (the frame layer of docs/protocols/httpipc.md §3.2
// carrying RFC 9292 messages), given by unix socket, TCP port or start
// command. Cases that need a route of the reference handler (see Handler)
// skip when the target answers it with 404.
func Suite() *conformance.Suite {
	s := &conformance.Suite{
		Name:  "httpipc",
		Title: "httpipc: bhttp in frames over a byte stream (docs/protocols/httpipc.md §3, RFC 9292)",
		Sections: map[string]string{
			"2.2":   "Binary HTTP messages (RFC 9292)",
			"3.2.1": "HELLO and settings",
			"3.2.2": "Framing and stream ids",
			"3.2.3": "RESET and GOAWAY",
			"3.2.4": "PING",
			"3.3":   "Streaming: informational responses and trailers",
			"3.4.1": "Multiplexing",
			"3.4.2": "Flow control",
			"3.5":   "Size limits",
			"3.6":   "Errors",
		},
		Params: []conformance.Param{
			{Name: "command", Usage: "a shell command that serves httpipc on its stdin/stdout; each case starts its own process and kills it when the case ends (TARGET is then only a label)"},
			{Name: "max-body", Usage: "the target's request body limit in bytes", Default: "8388608"},
			{Name: "max-fields", Usage: "the target's limit on field lines per section", Default: "1000"},
			{Name: "max-field-length", Usage: "the target's limit on one field name or value in bytes", Default: "8192"},
		},
	}
	for _, part := range [][]conformance.Case{
		bhttpCases(), helloCases(), framingCases(), resetCases(), pingCases(),
		streamingCases(), concurrencyCases(), flowCases(), limitCases(), errorCases(),
	} {
		s.Cases = append(s.Cases, part...)
	}
	return s
}
