package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"
)

const defaultListen = "127.0.0.1:1234" // afb-daemon's own default port

func cmdServe(ctx context.Context, c *cli, args []string) int {
	var (
		only     listFlag
		listen   string
		redisURL string
	)
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Var(&only, "only", "start only these protocols (comma-separated)")
	fs.StringVar(&listen, "listen", defaultListen,
		"`HOST:PORT` of the first server; the others take the next ports in order (port 0: any free port)")
	fs.StringVar(&redisURL, "redis", "", "Redis `URL` for durable, shared state (default: in memory)")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: appwire serve [--only LIST] [--listen HOST:PORT] [--redis URL]")
		fmt.Fprintln(c.stderr, "\nStarts every reference server, prints its URL and an example, and runs until Ctrl-C.")
		fmt.Fprintln(c.stderr, "\nflags:")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
	}
	if len(pos) > 0 {
		fs.Usage()
		return exitUsage
	}
	host, portText, err := net.SplitHostPort(listen)
	port, perr := strconv.Atoi(portText)
	if err != nil || perr != nil || port < 0 || port > 65535 {
		c.errorf("bad --listen %q: want HOST:PORT", listen)
		return exitUsage
	}
	var selected []protocol
	for _, p := range protocols() {
		if len(only) == 0 || slices.Contains(only, p.name) {
			selected = append(selected, p)
		}
	}
	for _, name := range only {
		if _, ok := findProtocol(name); !ok {
			c.errorf("unknown protocol %q in --only", name)
			return exitUsage
		}
	}

	var running []*instance
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		for _, inst := range running {
			if err := inst.shutdown(sctx); err != nil {
				c.errorf("shutdown: %v", err)
			}
		}
	}()
	cfg := serveConfig{redisURL: redisURL}
	for i, p := range selected {
		addr := net.JoinHostPort(host, "0")
		if port != 0 {
			addr = net.JoinHostPort(host, strconv.Itoa(port+i))
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			c.errorf("%s: %v (try --listen 127.0.0.1:0 for free ports)", p.name, err)
			return exitProblem
		}
		inst, err := p.serve(ctx, ln, cfg)
		if err != nil {
			ln.Close()
			c.errorf("%s: %v", p.name, err)
			return exitProblem
		}
		running = append(running, inst)
		fmt.Fprintf(c.stdout, "%-10s %s\n", p.name, inst.url)
		for _, ex := range inst.examples {
			fmt.Fprintf(c.stdout, "    %s\n", ex)
		}
	}
	state := "in memory"
	if redisURL != "" {
		state = "in Redis at " + redisURL
	}
	fmt.Fprintf(c.stdout, "ready: %d server(s), state %s; Ctrl-C stops\n", len(running), state)
	<-ctx.Done()
	fmt.Fprintln(c.stdout, "shutting down")
	return exitOK
}
