// Command appwire runs the reference servers, the conformance suites and the
// fuzzers of the appwire suite.
//
//	appwire serve                       start every reference server on loopback
//	appwire conform PROTOCOL URL        run a conformance suite against any implementation
//	appwire conform self                run every suite against in-process reference servers
//	appwire report --html DIR a.json    merge JSON conformance reports into one HTML grid
//	appwire fuzz PROTOCOL TARGET        fuzz a live peer over the network
//	appwire afb call URL api/verb JSON  one call to an AGL binder (or a script on stdin)
//	appwire push, appwire ipc, ...      each protocol's own tools
//
// Run "appwire COMMAND -h" for the flags of each command.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C or SIGTERM starts a graceful shutdown; a second
	// one gets the default behaviour and ends the process at once.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // a conformance case or a check failed
	exitUsage   = 2 // bad command line
	exitProblem = 3 // could not do the work (listen failed, target unreachable...)
)

// cli carries what every command writes to; there is no global state, so
// tests run commands in-process.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

type command struct {
	name  string
	usage string
	run   func(ctx context.Context, c *cli, args []string) int
}

// commands lists the common commands, then each protocol's own tool in
// registry order.
func commands() []command {
	cmds := []command{
		{"serve", "start every reference server on loopback", cmdServe},
		{"conform", "run a conformance suite against an implementation", cmdConform},
		{"report", "merge JSON conformance reports into one HTML report: report --html DIR a.json b.json", cmdReport},
		{"fuzz", "fuzz a live peer over the network", cmdFuzz},
		{"load", "load a server on loopback: load simplepush (memory per idle socket, deliveries/s)", cmdLoad},
	}
	for _, p := range protocols() {
		if p.tool != nil {
			cmds = append(cmds, *p.tool)
		}
	}
	return cmds
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		c.usage()
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, cmd := range commands() {
		if cmd.name == args[0] {
			return cmd.run(ctx, c, args[1:])
		}
	}
	fmt.Fprintf(stderr, "appwire: unknown command %q\n\n", args[0])
	c.usage()
	return exitUsage
}

func (c *cli) usage() {
	fmt.Fprintln(c.stderr, "usage: appwire COMMAND [flags] [args]")
	fmt.Fprintln(c.stderr, "\ncommands:")
	for _, cmd := range commands() {
		fmt.Fprintf(c.stderr, "  %-8s %s\n", cmd.name, cmd.usage)
	}
	fmt.Fprintln(c.stderr, "\nRun 'appwire COMMAND -h' for a command's flags.")
}

func (c *cli) errorf(format string, args ...any) {
	fmt.Fprintf(c.stderr, "appwire: "+format+"\n", args...)
}
