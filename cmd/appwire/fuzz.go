package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/appwire/appwire/fuzz"
)

// fuzzer is a protocol's network fuzzer, as the registry holds it.
type fuzzer struct {
	// target describes TARGET, about what is sent and checked.
	target, about string
	// flags registers the fuzzer's own flags and returns the function
	// that runs it with the common options.
	flags func(fs *flag.FlagSet) func(ctx context.Context, target string, opts fuzz.Options) (fuzz.Report, error)
}

func afbFuzzer() *fuzzer {
	return &fuzzer{
		target: "the binder's API root, http://HOST:PORT/api",
		about:  "malformed and mutated x-afb-ws-json1 frames and HTTP requests; checks the answers the spec mandates and that the binder stays up",
		flags: func(fs *flag.FlagSet) func(context.Context, string, fuzz.Options) (fuzz.Report, error) {
			var o fuzz.AFBOptions
			fs.StringVar(&o.Token, "token", "", "initial token of the peer (afb-daemon --token)")
			fs.StringVar(&o.UUID, "uuid", fuzz.DefaultUUID, "session uuid every input joins")
			fs.StringVar(&o.Probe, "probe", fuzz.DefaultProbe, "known-good `api/verb` that must keep succeeding")
			fs.BoolVar(&o.NoWebSocket, "no-ws", false, "send no WebSocket inputs")
			fs.BoolVar(&o.NoHTTP, "no-http", false, "send no HTTP inputs")
			return func(ctx context.Context, target string, opts fuzz.Options) (fuzz.Report, error) {
				o.Options = opts
				return fuzz.AFB(ctx, target, o)
			}
		},
	}
}

// cmdFuzz implements "appwire fuzz PROTOCOL TARGET": network fuzzing of a
// live peer. Exit 1 when a MUST-level rule was broken or the peer went
// down.
func cmdFuzz(ctx context.Context, c *cli, args []string) int {
	// The protocol decides which flags exist; it is the first argument
	// that is not a flag (flags of the common set before it take values).
	var opts fuzz.Options
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fuzzCommonFlags(fs, &opts)
	sets := []*flag.FlagSet{fs}
	for _, q := range protocols() {
		if q.fuzz != nil {
			qs := flag.NewFlagSet("", flag.ContinueOnError)
			q.fuzz.flags(qs)
			sets = append(sets, qs)
		}
	}
	var p *protocol
	if q, ok := findProtocol(firstPositional(args, sets...)); ok && q.fuzz != nil {
		p = &q
	}
	var runFuzz func(context.Context, string, fuzz.Options) (fuzz.Report, error)
	if p != nil {
		runFuzz = p.fuzz.flags(fs)
	}
	fs.Usage = func() {
		w := c.stderr
		if p != nil {
			fmt.Fprintf(w, "usage: appwire fuzz %s TARGET [--duration D] [--seed N] [flags]\n", p.name)
			fmt.Fprintf(w, "\nTARGET is %s.\nSends %s.\n", p.fuzz.target, p.fuzz.about)
		} else {
			fmt.Fprintln(w, "usage: appwire fuzz PROTOCOL TARGET [--duration D] [--seed N] [flags]")
			fmt.Fprintln(w, "\nprotocols:")
			for _, q := range protocols() {
				if q.fuzz != nil {
					fmt.Fprintf(w, "  %-10s TARGET is %s\n", q.name, q.fuzz.target)
				}
			}
			fmt.Fprintln(w, "\n'appwire fuzz PROTOCOL --help' lists that fuzzer's own flags.")
		}
		fmt.Fprintln(w, "Point it at a test instance only. Progress goes to stderr; findings and the summary to stdout.")
		fmt.Fprintln(w, "Exit status: 0 no MUST violation, 1 a violation or the peer went down, 2 usage, 3 could not run.")
		fmt.Fprintln(w, "\nflags:")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
	}
	usageErr := func(format string, args ...any) int {
		c.errorf(format, args...)
		fmt.Fprintln(c.stderr)
		fs.Usage()
		return exitUsage
	}
	var names []string
	for _, q := range protocols() {
		if q.fuzz != nil {
			names = append(names, q.name)
		}
	}
	switch {
	case len(pos) == 0:
		return usageErr("fuzz: missing PROTOCOL (one of %s)", strings.Join(names, ", "))
	case p == nil:
		return usageErr("fuzz: no fuzzer for protocol %q (have: %s)", pos[0], strings.Join(names, ", "))
	case len(pos) == 1:
		return usageErr("fuzz %s: missing TARGET (%s)", p.name, p.fuzz.target)
	case len(pos) > 2:
		return usageErr("fuzz %s: unexpected argument %q after TARGET %q", p.name, pos[2], pos[1])
	}
	if opts.Seed == 0 {
		opts.Seed = time.Now().UnixNano()
	}
	fmt.Fprintf(c.stderr, "fuzzing %s %s for %s, seed %d\n", p.name, pos[1], opts.Duration, opts.Seed)
	opts.Progress = fuzzProgress(c, opts.Duration)
	rep, err := runFuzz(ctx, pos[1], opts)
	if isTerminal(c.stderr) {
		fmt.Fprint(c.stderr, "\r\x1b[K")
	}
	if rep.Inputs > 0 || len(rep.Violations) > 0 {
		_ = rep.WriteText(c.stdout)
	}
	switch {
	case errors.Is(err, fuzz.ErrPeerUnreachable):
		c.errorf("fuzz %s: cannot fuzz %s: %v", p.name, pos[1], errors.Unwrap(err))
		return exitProblem
	case err != nil && rep.Inputs == 0 && ctx.Err() == nil:
		c.errorf("fuzz %s: %v", p.name, err)
		return exitProblem
	case err != nil:
		c.errorf("fuzz %s: stopped early: %v", p.name, err)
	}
	if rep.Failed() {
		return exitFailed
	}
	return exitOK
}

func fuzzCommonFlags(fs *flag.FlagSet, opts *fuzz.Options) {
	fs.DurationVar(&opts.Duration, "duration", fuzz.DefaultDuration, "how long to fuzz")
	fs.Int64Var(&opts.Seed, "seed", 0, "seed of the inputs (0: drawn and printed); the same seed replays the same inputs")
	fs.IntVar(&opts.Workers, "workers", fuzz.DefaultWorkers, "inputs in flight")
	fs.IntVar(&opts.MaxInputs, "max-inputs", fuzz.DefaultMaxInputs, "stop after this many inputs")
	fs.IntVar(&opts.BatchSize, "batch", fuzz.DefaultBatchSize, "inputs between liveness probes")
	fs.DurationVar(&opts.InputTimeout, "timeout", fuzz.DefaultInputTimeout, "wait for the answer to one input")
	fs.Float64Var(&opts.Rate, "rate", 0, "at most this many inputs per second (0: as fast as the workers go), for a peer with quotas")
}

// fuzzProgress prints the run's progress on stderr: a line rewritten in
// place on a terminal, else a line every 5 s; and each finding as it is
// found (the report at the end has them all with their bytes).
func fuzzProgress(c *cli, total time.Duration) func(fuzz.Progress) {
	tty := isTerminal(c.stderr)
	var (
		mu   sync.Mutex
		last time.Duration
	)
	return func(p fuzz.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if tty {
			fmt.Fprint(c.stderr, "\r\x1b[K")
		}
		for _, v := range p.New {
			line := fmt.Sprintf("finding: %s violated: %s; got %s", v.Level, v.Rule, v.Got)
			if v.Input != nil {
				line += fmt.Sprintf(" (input #%d of seed %d)", v.Input.Index, v.Input.Seed)
			}
			fmt.Fprintln(c.stderr, line)
		}
		status := fmt.Sprintf("%s/%s: %d inputs, %d liveness probes passed, %d violations",
			p.Elapsed.Round(time.Second), total, p.Inputs, p.Probes, p.Violations)
		switch {
		case tty:
			fmt.Fprint(c.stderr, status)
		case p.Elapsed-last >= 5*time.Second:
			last = p.Elapsed
			fmt.Fprintln(c.stderr, status)
		}
	}
}

func loopFuzzer() *fuzzer {
	return &fuzzer{
		target: "the Loop server's base URL, http://HOST:PORT",
		about: "requests to every route (under /v0 and at the root) with any method, broken JSON and form bodies, " +
			"malformed Hawk headers and session tokens, oversized bodies and headers; checks no 5xx but 503, JSON errors " +
			"that repeat their status, and that GET / keeps answering",
		flags: func(*flag.FlagSet) func(context.Context, string, fuzz.Options) (fuzz.Report, error) {
			return fuzz.Loop
		},
	}
}

func limpFuzzer() *fuzzer {
	return &fuzzer{
		target: "the LIMP server's WebSocket URL, ws://HOST:PORT/ws",
		about: "after conn/verify on a fresh connection, one call: frames that are not JSON or lack their token, tokens that are " +
			"garbage, unsigned, signed with another key or algorithm, expired or with an audience, and well-signed calls with " +
			"generated endpoints, docs and queries; checks the reply envelope, 403 CORE_REQ_INVALID_TOKEN for a token that " +
			"cannot be verified, and that verify keeps working (the server counts calls per address: see --rate)",
		flags: func(fs *flag.FlagSet) func(context.Context, string, fuzz.Options) (fuzz.Report, error) {
			var o fuzz.LIMPOptions
			fs.StringVar(&o.App, "app", "", "the client app conn/verify names (empty: a server with no client apps)")
			fs.StringVar(&o.AnonToken, "anon-token", fuzz.DefaultLIMPAnonToken, "the server's anonymous token, which signs calls before auth")
			return func(ctx context.Context, target string, opts fuzz.Options) (fuzz.Report, error) {
				o.Options = opts
				return fuzz.LIMP(ctx, target, o)
			}
		},
	}
}
