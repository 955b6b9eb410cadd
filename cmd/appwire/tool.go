package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
)

// subcommand is one verb of a protocol's tool ("ipc serve", "push notify").
type subcommand struct {
	name  string
	args  string // the positional arguments, for the usage line
	about string // what it does, one or two lines
	// flags registers the subcommand's flags on fs and returns the
	// function that runs it with the positional arguments once they are
	// parsed. A run that finds its arguments wrong calls usage.
	flags func(fs *flag.FlagSet) func(ctx context.Context, c *cli, pos []string, usage func(format string, args ...any) int) int
}

// toolGroup is a protocol's tool: a command made of subcommands.
type toolGroup struct {
	name  string // "ipc"
	about string // the paragraph after the usage lines
	subs  []subcommand
}

// run dispatches args to a subcommand. "TOOL --help" prints every
// subcommand's usage line and flags; "TOOL SUB --help" that subcommand's.
func (g *toolGroup) run(ctx context.Context, c *cli, args []string) int {
	if len(args) == 0 {
		c.errorf("%s: missing subcommand (one of %s)", g.name, g.names())
		fmt.Fprintln(c.stderr)
		g.usage(c, false)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		g.usage(c, true)
		return exitOK
	}
	for _, sub := range g.subs {
		if sub.name == args[0] {
			return g.runSub(ctx, c, sub, args[1:])
		}
	}
	c.errorf("%s: unknown subcommand %q (have: %s)", g.name, args[0], g.names())
	fmt.Fprintln(c.stderr)
	g.usage(c, false)
	return exitUsage
}

func (g *toolGroup) names() string {
	var n []string
	for _, s := range g.subs {
		n = append(n, s.name)
	}
	return strings.Join(n, ", ")
}

func (g *toolGroup) runSub(ctx context.Context, c *cli, sub subcommand, args []string) int {
	fs := flag.NewFlagSet(g.name+" "+sub.name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	run := sub.flags(fs)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "usage: appwire %s %s [flags] %s\n\n%s\n", g.name, sub.name, sub.args, sub.about)
		printFlags(c, fs)
	}
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
	}
	usage := func(format string, args ...any) int {
		c.errorf("%s %s: "+format, append([]any{g.name, sub.name}, args...)...)
		fmt.Fprintln(c.stderr)
		fs.Usage()
		return exitUsage
	}
	return run(ctx, c, pos, usage)
}

// usage prints the usage lines and the tool's description, and with
// flags every subcommand's flags.
func (g *toolGroup) usage(c *cli, flags bool) {
	for i, sub := range g.subs {
		prefix := "usage: "
		if i > 0 {
			prefix = "       "
		}
		fmt.Fprintf(c.stderr, "%sappwire %s %s [flags] %s\n", prefix, g.name, sub.name, sub.args)
	}
	fmt.Fprintf(c.stderr, "\n%s\n", g.about)
	for _, sub := range g.subs {
		if !flags {
			fmt.Fprintf(c.stderr, "\n%s %s: %s\n", g.name, sub.name, sub.about)
			continue
		}
		fs := flag.NewFlagSet("", flag.ContinueOnError)
		sub.flags(fs)
		fmt.Fprintf(c.stderr, "\n%s %s: %s\n", g.name, sub.name, sub.about)
		printFlags(c, fs)
	}
	if !flags {
		fmt.Fprintf(c.stderr, "\nRun 'appwire %s --help' for the flags.\n", g.name)
	}
}

func printFlags(c *cli, fs *flag.FlagSet) {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintln(c.stderr, "flags:")
	fs.SetOutput(c.stderr)
	fs.PrintDefaults()
}
