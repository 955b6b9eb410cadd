package main

// # The protocol registry
//
// Every protocol the CLI knows registers once, in protocol_NAME.go, by a
// constructor that returns a [protocol] and one line in [protocols]. What
// it registers is used everywhere the protocol appears:
//
//	name, about   the command-line key ("conform afb ...") and one line of help
//	suite         its conformance suite: "conform NAME TARGET", "conform self",
//	              "conform NAME --list"; the suite's Params become flags of
//	              "conform NAME" only (scoped: no other suite's flags exist
//	              there), and an unset parameter reads as its Default (T.Param)
//	probe         one reachability check of a conform TARGET, run before the
//	              first case and again when a case errs; when it fails before
//	              the run, conform exits 3 with its one line (optional: a
//	              suite's own Suite.Probe wins)
//	hint          optional: one line said once after a run, for example
//	              "the target wants a token" when cases got 401 and no
//	              --token was given
//	needs         protocols whose reference servers must run first (Loop
//	              needs SimplePush); "serve" and "conform self" start them
//	              first, in registry order, and pass them in serveEnv
//	serveFlags    optional: the protocol's own "serve" flags, each named
//	              NAME-FLAG (--afb-token, --simplepush-dialect); a test checks
//	              the prefix. The closures of one protocol value share their
//	              configuration, so serveFlags fills what serve reads.
//	serveProfile  optional: makes the reference server behave as the named
//	              suite profile (an upstream dialect), so that
//	              "conform self --profile P" tests the server in that dialect
//	serve         starts the reference server on ln and returns the running
//	              instance: the conform TARGET, the suite parameters that fit
//	              it, ready-to-paste examples, the server value for later
//	              protocols (instance.value) and a shutdown that drains
//	              in-flight work until its context ends
//	fuzz          optional: its network fuzzer ("fuzz NAME TARGET"): what
//	              TARGET is, and a function that registers the fuzzer's own
//	              flags and returns the run (package fuzz does the work)
//	tool          optional: its own command ("afb", "push", "ipc", ...),
//	              listed in the top-level usage after the common commands;
//	              a toolGroup (tool.go) makes one of subcommands whose
//	              --help lists every subcommand's flags
//
// A new protocol adds protocol_NAME.go with func NAMEProtocol() protocol
// and appends NAMEProtocol() to the list in protocols(); the order of that
// list is the order "serve" assigns ports and starts servers in, so a
// protocol comes after the ones it needs.

import (
	"context"
	"flag"
	"net"
	"slices"

	"github.com/appwire/appwire/conformance"
)

// protocol is everything the CLI knows about one protocol (see above).
type protocol struct {
	name  string
	about string
	suite func() *conformance.Suite
	probe func(ctx context.Context, target conformance.Target) error
	hint  func(rep *conformance.Report, target conformance.Target) string
	needs []string

	serveFlags   func(fs *flag.FlagSet)
	serveProfile func(profile string) error
	serve        func(ctx context.Context, ln net.Listener, env *serveEnv) (*instance, error)

	fuzz *fuzzer
	tool *command
}

// serveEnv is what "serve" and "conform self" pass to every reference
// server: shared settings and the instances started before it.
type serveEnv struct {
	redisURL string // "" means in-memory state
	started  []*instance
}

// instance returns the running instance of protocol name started earlier
// (one named in the protocol's needs), or nil.
func (e *serveEnv) instance(name string) *instance {
	for _, in := range e.started {
		if in.protocol == name {
			return in
		}
	}
	return nil
}

// instance is one running reference server.
type instance struct {
	protocol string            // filled by the caller of serve
	url      string            // what "appwire conform" takes as TARGET
	params   map[string]string // the suite parameters that fit this server (the rest keep their defaults)
	examples []string          // ready-to-paste commands for a newcomer
	// value is the running server for protocols started later (the
	// *simplepush.Server for Loop); nil when there is nothing to share.
	value any
	// shutdown stops accepting, lets in-flight work finish until ctx ends,
	// then closes what is left.
	shutdown func(ctx context.Context) error
}

// protocols lists every protocol in the order "serve" assigns ports and
// starts servers.
func protocols() []protocol {
	return []protocol{
		afbProtocol(), simplepushProtocol(),
		httpipcProtocol(), limpProtocol(), loopProtocol(),
	}
}

func findProtocol(name string) (protocol, bool) {
	for _, p := range protocols() {
		if p.name == name {
			return p, true
		}
	}
	return protocol{}, false
}

// withNeeds returns the protocols of all (registry order) that are in
// selected or needed by one that is, and which were added as needs.
func withNeeds(all []protocol, selected []string) (out []protocol, added []string) {
	want := map[string]bool{}
	var mark func(name string)
	mark = func(name string) {
		if want[name] {
			return
		}
		want[name] = true
		for _, p := range all {
			if p.name == name {
				for _, n := range p.needs {
					mark(n)
				}
			}
		}
	}
	for _, n := range selected {
		mark(n)
	}
	for _, p := range all {
		if want[p.name] {
			out = append(out, p)
			if !slices.Contains(selected, p.name) {
				added = append(added, p.name)
			}
		}
	}
	return out, added
}

// suiteOf returns p's suite with the registry's probe when the suite has
// none of its own.
func (p *protocol) suiteOf() *conformance.Suite {
	s := p.suite()
	if s.Probe == nil && p.probe != nil {
		s.Probe = p.probe
	}
	return s
}
