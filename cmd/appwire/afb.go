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

// afbTool is "appwire afb": one call over HTTP or WebSocket, or, without
// api/verb, a script read from stdin and sent over one WebSocket, as
// afb-client-demo does.
func afbTool() *toolGroup {
	return &toolGroup{
		name: "afb",
		about: "URL is the API root of a binder, e.g. http://127.0.0.1:1234/api.\n" +
			"Exit status: 0 success, 1 a reply that is not a success, 2 usage, 3 the binder could not be reached.",
		subs: []subcommand{{
			name: "call",
			args: "URL [api/verb [JSON]]",
			about: "With api/verb: one call; the reply JSON is printed. Exit 1 when its status is not success.\n" +
				"Without: one call per stdin line ('api/verb JSON' or 'api verb JSON'; '#' starts a comment), sent over\n" +
				"one WebSocket without waiting (--sync: one at a time); replies and events are printed as they arrive.",
			flags: afbCallFlags,
		}},
	}
}

func cmdAFB(ctx context.Context, c *cli, args []string) int { return afbTool().run(ctx, c, args) }

func afbCallFlags(fs *flag.FlagSet) func(context.Context, *cli, []string, func(string, ...any) int) int {
	var (
		token, uuid string
		ws, sync    bool
		timeout     time.Duration
	)
	fs.StringVar(&token, "token", "", "token presented at the upgrade and with HTTP calls (x-afb-token)")
	fs.StringVar(&uuid, "uuid", "", "session uuid to join (x-afb-uuid)")
	fs.BoolVar(&ws, "ws", false, "call over a WebSocket rather than HTTP (implied by a ws:// URL and by script mode)")
	fs.DurationVar(&timeout, "timeout", 30*time.Second, "timeout of each call")
	fs.BoolVar(&sync, "sync", false, "script mode: wait for each reply before sending the next line")
	return func(ctx context.Context, c *cli, pos []string, usage func(string, ...any) int) int {
		switch {
		case len(pos) == 0:
			return usage("missing URL (the binder's API root, http://HOST:PORT/api)")
		case len(pos) > 3:
			return usage("unexpected argument %q after the JSON arguments", pos[3])
		}
		url := pos[0]
		if strings.HasPrefix(url, "ws://") || strings.HasPrefix(url, "wss://") {
			ws = true
		}
		opts := afbproto.ClientOptions{Token: token, UUID: uuid}
		if len(pos) == 1 {
			return afbScript(ctx, c, url, opts, timeout, sync)
		}
		api, verb, ok := strings.Cut(pos[1], "/")
		if !ok {
			return usage("%q is not api/verb", pos[1])
		}
		var callArgs any
		if len(pos) == 3 {
			if !json.Valid([]byte(pos[2])) {
				return usage("the arguments are not valid JSON: %s", pos[2])
			}
			callArgs = json.RawMessage(pos[2])
		}
		return afbOne(ctx, c, url, ws, opts, api, verb, callArgs, timeout)
	}
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
			return exitProblem // as Dial's error over --ws: the binder cannot be reached there
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
