package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/appwire/appwire/fuzz"
)

// cmdFuzz implements "appwire fuzz PROTOCOL TARGET": network fuzzing of a
// live peer. Exit 1 when a MUST-level rule was broken or the peer went
// down.
func cmdFuzz(ctx context.Context, c *cli, args []string) int {
	var opts fuzz.Options
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.DurationVar(&opts.Duration, "duration", fuzz.DefaultDuration, "how long to fuzz")
	fs.Int64Var(&opts.Seed, "seed", 0, "seed of the inputs (0: drawn and printed); the same seed replays the same inputs")
	fs.StringVar(&opts.Token, "token", "", "initial token of the peer (afb-daemon --token)")
	fs.StringVar(&opts.UUID, "uuid", fuzz.DefaultUUID, "session uuid every input joins")
	fs.StringVar(&opts.Probe, "probe", fuzz.DefaultProbe, "known-good `api/verb` that must keep succeeding")
	fs.IntVar(&opts.Workers, "workers", fuzz.DefaultWorkers, "inputs in flight")
	fs.IntVar(&opts.MaxInputs, "max-inputs", fuzz.DefaultMaxInputs, "stop after this many inputs")
	fs.IntVar(&opts.BatchSize, "batch", fuzz.DefaultBatchSize, "inputs between liveness probes")
	fs.DurationVar(&opts.InputTimeout, "timeout", fuzz.DefaultInputTimeout, "wait for the answer to one input")
	fs.BoolVar(&opts.NoWebSocket, "no-ws", false, "send no WebSocket inputs")
	fs.BoolVar(&opts.NoHTTP, "no-http", false, "send no HTTP inputs")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: appwire fuzz afb URL [--duration D] [--seed N] [--token T] [flags]")
		fmt.Fprintln(c.stderr, "\nSends malformed and mutated x-afb-ws-json1 frames and HTTP requests to the binder whose")
		fmt.Fprintln(c.stderr, "API root is URL (e.g. http://127.0.0.1:1234/api), checks it answers per spec and stays up.")
		fmt.Fprintln(c.stderr, "Point it at a test instance only.")
		fmt.Fprintln(c.stderr, "Exit status: 0 no MUST violation, 1 a violation or the peer went down, 2 usage, 3 could not run.")
		fmt.Fprintln(c.stderr, "\nflags:")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
	}
	if len(pos) != 2 {
		fs.Usage()
		return exitUsage
	}
	if pos[0] != "afb" {
		c.errorf("fuzz: no fuzzer for protocol %q (have: afb)", pos[0])
		return exitUsage
	}
	if opts.Seed == 0 {
		opts.Seed = time.Now().UnixNano()
	}
	fmt.Fprintf(c.stderr, "fuzzing %s for %s, seed %d\n", pos[1], opts.Duration, opts.Seed)
	rep, err := fuzz.AFB(ctx, pos[1], opts)
	if rep.Inputs > 0 || len(rep.Violations) > 0 {
		_ = rep.WriteText(c.stdout)
	}
	switch {
	case errors.Is(err, fuzz.ErrPeerUnreachable):
		c.errorf("fuzz: %v", err)
		return exitProblem
	case err != nil && rep.Inputs == 0:
		c.errorf("fuzz: %v", err)
		return exitUsage
	case err != nil:
		c.errorf("fuzz: stopped early: %v", err)
	}
	if rep.Failed() {
		return exitFailed
	}
	return exitOK
}
