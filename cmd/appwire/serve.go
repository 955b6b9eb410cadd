package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

const defaultListen = "127.0.0.1:1234" // afb-daemon's own default port

// serveDrain bounds the graceful shutdown of every server "serve"
// started: in-flight requests and streams get this long to finish.
const serveDrain = 10 * time.Second

func cmdServe(ctx context.Context, c *cli, args []string) int {
	var (
		only     listFlag
		listen   string
		redisURL string
	)
	all := protocols()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Var(&only, "only", "start only these protocols (comma-separated); those they need start too")
	fs.StringVar(&listen, "listen", defaultListen,
		"`HOST:PORT` of the first server; the others take the next ports in order (port 0: any free port)")
	fs.StringVar(&redisURL, "redis", "", "Redis `URL` for durable, shared state (default: in memory)")
	for _, p := range all {
		if p.serveFlags != nil {
			p.serveFlags(fs)
		}
	}
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: appwire serve [--only LIST] [--listen HOST:PORT] [--redis URL] [--PROTOCOL-FLAG ...]")
		fmt.Fprintln(c.stderr, "\nStarts every reference server, prints its URL and examples, and runs until Ctrl-C or SIGTERM,")
		fmt.Fprintf(c.stderr, "which stop accepting and let in-flight requests finish (at most %s).\n", serveDrain)
		fmt.Fprintln(c.stderr, "Exit status: 0 stopped by a signal, 2 usage, 3 could not start (a port in use, Redis down).")
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
		c.errorf("serve: unexpected argument %q (serve takes only flags)", pos[0])
		fmt.Fprintln(c.stderr)
		fs.Usage()
		return exitUsage
	}
	host, portText, err := net.SplitHostPort(listen)
	port, perr := strconv.Atoi(portText)
	if err != nil || perr != nil || port < 0 || port > 65535 {
		c.errorf("bad --listen %q: want HOST:PORT", listen)
		return exitUsage
	}
	for _, name := range only {
		if _, ok := findProtocol(name); !ok {
			c.errorf("unknown protocol %q in --only (have: %v)", name, protocolNames())
			return exitUsage
		}
	}
	selected := all
	if len(only) > 0 {
		var added []string
		selected, added = withNeeds(all, only)
		if len(added) > 0 {
			fmt.Fprintf(c.stderr, "also starting %s, needed by %s\n", strings.Join(added, ", "), strings.Join(only, ", "))
		}
	}
	if redisURL != "" {
		if err := checkRedis(ctx, redisURL); err != nil {
			c.errorf("serve: --redis %s: %v", redisURL, err)
			return exitProblem
		}
	}

	env := &serveEnv{redisURL: redisURL}
	defer func() {
		// Drain in reverse order: a server stops before those it needs.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), serveDrain)
		defer cancel()
		for _, inst := range slices.Backward(env.started) {
			if err := inst.shutdown(sctx); err != nil {
				c.errorf("%s: shutdown: %v", inst.protocol, err)
			}
		}
	}()
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
		inst, err := p.serve(ctx, ln, env)
		if err != nil {
			ln.Close()
			c.errorf("%s: %v", p.name, err)
			return exitProblem
		}
		inst.protocol = p.name
		env.started = append(env.started, inst)
		fmt.Fprintf(c.stdout, "%-10s %s\n", p.name, inst.url)
		for _, ex := range inst.examples {
			fmt.Fprintf(c.stdout, "    %s\n", ex)
		}
	}
	state := "in memory"
	if redisURL != "" {
		state = "in Redis at " + redisURL
	}
	fmt.Fprintf(c.stdout, "ready: %d server(s), state %s; Ctrl-C stops\n", len(env.started), state)
	<-ctx.Done()
	fmt.Fprintf(c.stdout, "shutting down: letting in-flight requests finish (at most %s)\n", serveDrain)
	return exitOK
}

// checkRedis pings Redis once, so that a dead one fails "serve" with one
// line before any server starts.
func checkRedis(ctx context.Context, rawURL string) error {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return err
	}
	// Reach the address first: go-redis logs every failed dial of its pool
	// to the process's stderr, which would add a line of its own.
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, opts.Network, opts.Addr)
	if err != nil {
		return fmt.Errorf("no answer from Redis: %w", err)
	}
	c.Close()
	opts.MaxRetries = -1
	opts.DialTimeout = 3 * time.Second
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("no answer from Redis: %w", err)
	}
	return nil
}
