package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/appwire/appwire/afbproto"
)

// maxScriptLine bounds one line of an "afb call" script.
const maxScriptLine = 1 << 20

type afbCallFlags struct {
	token, uuid string
	ws, sync    bool
	timeout     time.Duration
}

// cmdAFB implements "appwire afb call": one call over HTTP or WebSocket,
// or, without api/verb, a script read from stdin and sent over one
// WebSocket, as afb-client-demo does.
func cmdAFB(ctx context.Context, c *cli, args []string) int {
	if len(args) == 0 || args[0] != "call" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			afbUsage(c)
			return exitOK
		}
		afbUsage(c)
		return exitUsage
	}
	var f afbCallFlags
	fs := flag.NewFlagSet("afb call", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.StringVar(&f.token, "token", "", "token presented at the upgrade and with HTTP calls (x-afb-token)")
	fs.StringVar(&f.uuid, "uuid", "", "session uuid to join (x-afb-uuid)")
	fs.BoolVar(&f.ws, "ws", false, "call over a WebSocket rather than HTTP (implied by a ws:// URL and by script mode)")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "timeout of each call")
	fs.BoolVar(&f.sync, "sync", false, "script mode: wait for each reply before sending the next line")
	fs.Usage = func() {
		afbUsage(c)
		fmt.Fprintln(c.stderr, "\nflags:")
		fs.PrintDefaults()
	}
	pos, err := parseArgs(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
	}
	if len(pos) < 1 || len(pos) > 3 {
		fs.Usage()
		return exitUsage
	}
	url := pos[0]
	if strings.HasPrefix(url, "ws://") || strings.HasPrefix(url, "wss://") {
		f.ws = true
	}
	opts := afbproto.ClientOptions{Token: f.token, UUID: f.uuid}
	if len(pos) == 1 {
		return afbScript(ctx, c, url, opts, f.timeout, f.sync)
	}
	api, verb, ok := strings.Cut(pos[1], "/")
	if !ok {
		c.errorf("afb call: %q is not api/verb", pos[1])
		return exitUsage
	}
	var callArgs any
	if len(pos) == 3 {
		if !json.Valid([]byte(pos[2])) {
			c.errorf("afb call: the arguments are not valid JSON: %s", pos[2])
			return exitUsage
		}
		callArgs = json.RawMessage(pos[2])
	}
	return afbOne(ctx, c, url, f.ws, opts, api, verb, callArgs, f.timeout)
}

func afbUsage(c *cli) {
	fmt.Fprintln(c.stderr, "usage: appwire afb call [--token T] [--uuid U] [--ws] URL api/verb [JSON]")
	fmt.Fprintln(c.stderr, "       appwire afb call [--token T] [--uuid U] [--sync] URL < script")
	fmt.Fprintln(c.stderr, "\nURL is the API root of a binder, e.g. http://127.0.0.1:1234/api.")
	fmt.Fprintln(c.stderr, "With api/verb: one call; the reply JSON is printed. Exit 1 when its status is not success.")
	fmt.Fprintln(c.stderr, "Without: one call per stdin line ('api/verb JSON' or 'api verb JSON'; '#' starts a comment),")
	fmt.Fprintln(c.stderr, "sent over one WebSocket without waiting (--sync: one at a time); replies and events are printed as they arrive.")
}

// afbOne makes one call and prints the reply.
func afbOne(ctx context.Context, c *cli, url string, ws bool, opts afbproto.ClientOptions, api, verb string, args any, timeout time.Duration) int {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var caller afbproto.Caller
	if ws {
		wc, err := afbproto.Dial(ctx, url, opts)
		if err != nil {
			c.errorf("afb call: %v", err)
			return exitProblem
		}
		defer wc.Close()
		caller = wc
	} else {
		hc, err := afbproto.NewHTTPClient(url, opts)
		if err != nil {
			c.errorf("afb call: %v", err)
			return exitUsage
		}
		defer hc.Close()
		caller = hc
	}
	r, err := caller.Call(ctx, api, verb, args)
	return afbResult(c, r, err)
}

// afbResult prints a reply and maps it to an exit code.
func afbResult(c *cli, r *afbproto.Reply, err error) int {
	var ce *afbproto.CallError
	switch {
	case err == nil:
		fmt.Fprintf(c.stdout, "%s\n", afbproto.AppendReply(nil, r, afbproto.DialectV6))
		return exitOK
	case errors.Is(err, afbproto.ErrDisconnected):
		c.errorf("afb call: %v", err)
		return exitProblem
	case errors.As(err, &ce):
		fmt.Fprintf(c.stdout, "%s\n", afbproto.AppendReply(nil, ce.Reply, afbproto.DialectV6))
		return exitFailed
	case afbproto.HTTPStatus(err) != 0, errors.Is(err, afbproto.ErrServerProtocol), errors.Is(err, afbproto.ErrTooLarge):
		c.errorf("afb call: %v", err)
		return exitFailed
	}
	c.errorf("afb call: %v", err)
	return exitProblem
}

// afbScript sends one call per stdin line over one WebSocket and prints
// replies ("ON-REPLY n:api/verb: status REPLY", n the line number) and
// events ("ON-EVENT name: DATA") as they arrive. Lines are sent as they are
// read, without waiting for replies (as afb-client-demo does), unless
// oneAtATime.
// It returns when stdin is exhausted and every call has been answered.
func afbScript(ctx context.Context, c *cli, url string, opts afbproto.ClientOptions, timeout time.Duration, oneAtATime bool) int {
	dctx, cancel := context.WithTimeout(ctx, timeout)
	wc, err := afbproto.Dial(dctx, url, opts)
	cancel()
	if err != nil {
		c.errorf("afb call: %v", err)
		return exitProblem
	}
	var (
		outMu sync.Mutex
		wg    sync.WaitGroup
		code  = exitOK
	)
	out := func(format string, args ...any) {
		outMu.Lock()
		fmt.Fprintf(c.stdout, format, args...)
		outMu.Unlock()
	}
	setCode := func(n int) {
		outMu.Lock()
		code = max(code, n)
		outMu.Unlock()
	}
	events := make(chan struct{})
	go func() {
		defer close(events)
		for e := range wc.Events() {
			data := string(e.Data)
			if data == "" {
				data = "null"
			}
			out("ON-EVENT %s: %s\n", e.Event, data)
		}
	}()

	sc := bufio.NewScanner(c.stdin)
	sc.Buffer(make([]byte, 0, 4096), maxScriptLine)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		api, verb, args, err := parseScriptLine(line)
		if err != nil {
			c.errorf("afb call: line %d: %v", n, err)
			setCode(exitFailed)
			continue
		}
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			r, err := wc.Call(cctx, api, verb, args)
			var ce *afbproto.CallError
			switch {
			case err == nil:
			case errors.As(err, &ce):
				r = ce.Reply
				setCode(exitFailed)
				if errors.Is(err, afbproto.ErrDisconnected) {
					setCode(exitProblem)
				}
			default:
				c.errorf("afb call: line %d: %s/%s: %v", n, api, verb, err)
				setCode(exitFailed)
				return
			}
			out("ON-REPLY %d:%s/%s: %s %s\n", n, api, verb, r.Status, afbproto.AppendReply(nil, r, afbproto.DialectV6))
		})
		if oneAtATime {
			wg.Wait()
		}
	}
	if err := sc.Err(); err != nil {
		c.errorf("afb call: reading stdin: %v", err)
		setCode(exitProblem)
	}
	wg.Wait()
	if err := wc.Close(); err != nil {
		c.errorf("afb call: %v", err)
	}
	<-events
	if s := wc.Stats(); s.DroppedEvents > 0 {
		c.errorf("afb call: %d events dropped (printing fell behind)", s.DroppedEvents)
	}
	return code
}

// parseScriptLine splits "api/verb JSON" or "api verb JSON".
func parseScriptLine(line string) (api, verb string, args any, err error) {
	first, rest := cutSpace(line)
	if a, v, ok := strings.Cut(first, "/"); ok {
		api, verb = a, v
	} else {
		api = first
		verb, rest = cutSpace(rest)
	}
	if api == "" || verb == "" {
		return "", "", nil, fmt.Errorf("want 'api/verb [JSON]' or 'api verb [JSON]', got %q", line)
	}
	if rest != "" {
		if !json.Valid([]byte(rest)) {
			return "", "", nil, fmt.Errorf("the arguments are not valid JSON: %s", rest)
		}
		args = json.RawMessage(rest)
	}
	return api, verb, args, nil
}

// cutSpace splits s at its first space or tab and trims the rest.
func cutSpace(s string) (first, rest string) {
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], strings.TrimSpace(s[i+1:])
	}
	return s, ""
}
