package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/appwire/appwire/loopapi"
	"github.com/appwire/appwire/simplepush"
)

// cmdLoop implements the client side of the Loop flow: one subcommand per
// step (register, call-url, call, calls, join) and "callee", which runs
// the callee's whole side (SimplePush, registration, call URL, answering
// when woken).
func cmdLoop(ctx context.Context, c *cli, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "callee":
			return loopCallee(ctx, c, args[1:])
		case "register":
			return loopRegister(ctx, c, args[1:])
		case "call-url":
			return loopCallURL(ctx, c, args[1:])
		case "call":
			return loopCall(ctx, c, args[1:])
		case "calls":
			return loopCalls(ctx, c, args[1:])
		case "join":
			return loopJoin(ctx, c, args[1:])
		case "-h", "--help", "help":
			loopUsage(c)
			return exitOK
		}
		c.errorf("loop: unknown subcommand %q", args[0])
	}
	loopUsage(c)
	return exitUsage
}

// envLoopSession is the session token subcommands use when --session is
// not given.
const envLoopSession = "APPWIRE_LOOP_SESSION"

func loopUsage(c *cli) {
	w := c.stderr
	fmt.Fprintln(w, "usage: appwire loop callee LOOP_URL --push PUSH_WS_URL [--caller-id ID] [--count N]")
	fmt.Fprintln(w, "       appwire loop call LOOP_URL CALL_URL|TOKEN [--type audio|audio-video] [--no-join]")
	fmt.Fprintln(w, "       appwire loop register LOOP_URL [--push-url ENDPOINT] [--session TOKEN]")
	fmt.Fprintln(w, "       appwire loop call-url LOOP_URL [--caller-id ID] [--session TOKEN]")
	fmt.Fprintln(w, "       appwire loop calls LOOP_URL [--version N] [--session TOKEN]")
	fmt.Fprintln(w, "       appwire loop join PROGRESS_URL CALL_ID WEBSOCKET_TOKEN [--accept]")
	fmt.Fprintln(w, "\ncallee is the callee's whole side: it registers a channel with the SimplePush server and that")
	fmt.Fprintln(w, "endpoint with Loop, makes a call URL and prints it, then, each time it is woken, lists the")
	fmt.Fprintln(w, "calls since the wake-up's version and answers them until connected.")
	fmt.Fprintln(w, "call is the caller's side: it calls the call URL (or its token; put -- before a token that starts")
	fmt.Fprintln(w, "with '-') and joins the call websocket until connected.")
	fmt.Fprintln(w, "The other subcommands are the single steps; register prints the session token the others take")
	fmt.Fprintf(w, "with --session (or $%s).\n", envLoopSession)
	fmt.Fprintln(w, "Exit status: 0 done (connected), 1 refused or the call ended otherwise, 2 usage, 3 could not run.")
}

// loopFlags parses a subcommand's flags; ok false means return code.
func loopFlags(c *cli, name string, args []string, npos int, def func(fs *flag.FlagSet)) (pos []string, code int, ok bool) {
	fs := flag.NewFlagSet("loop "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	def(fs)
	fs.Usage = func() { loopUsage(c); fmt.Fprintln(c.stderr, "\nflags:"); fs.PrintDefaults() }
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, exitOK, false
	} else if err != nil {
		return nil, exitUsage, false
	}
	if len(pos) != npos {
		c.errorf("loop %s: want %d argument(s), got %d", name, npos, len(pos))
		fs.Usage()
		return nil, exitUsage, false
	}
	return pos, 0, true
}

// loopClient returns a client of url with session (or $APPWIRE_LOOP_SESSION);
// with need set, a missing session is a usage error.
func loopClient(c *cli, what, url, session string, need bool) (*loopapi.Client, bool) {
	if session == "" {
		session = os.Getenv(envLoopSession)
	}
	if need && session == "" {
		c.errorf("loop %s: no session: pass --session TOKEN (what loop register printed) or set $%s", what, envLoopSession)
		return nil, false
	}
	cl, err := loopapi.NewClient(url, loopapi.ClientOptions{SessionToken: session})
	if err != nil {
		c.errorf("loop: %v", err)
		return nil, false
	}
	return cl, true
}

// loopFail maps an error to an exit status: an answer of the server is a
// refusal (1), anything else a problem (3).
func loopFail(c *cli, what string, err error) int {
	c.errorf("loop %s: %v", what, err)
	var e *loopapi.Error
	var we loopapi.WSError
	if errors.As(err, &e) || errors.As(err, &we) || errors.Is(err, loopapi.ErrCallEnded) || errors.Is(err, loopapi.ErrNoSession) {
		return exitFailed
	}
	return exitProblem
}

func loopRegister(ctx context.Context, c *cli, args []string) int {
	var push, session string
	pos, code, ok := loopFlags(c, "register", args, 1, func(fs *flag.FlagSet) {
		fs.StringVar(&push, "push-url", "", "the SimplePush endpoint to wake this session's calls on (\"\": none)")
		fs.StringVar(&session, "session", "", "an existing session token (\"\": a new session)")
	})
	if !ok {
		return code
	}
	cl, ok := loopClient(c, "register", pos[0], session, false)
	if !ok {
		return exitUsage
	}
	var urls map[string]string
	if push != "" {
		urls = map[string]string{loopapi.TopicCalls: push}
	}
	if err := cl.Register(ctx, urls); err != nil {
		return loopFail(c, "register", err)
	}
	fmt.Fprintf(c.stdout, "session %s\n", cl.SessionToken())
	return exitOK
}

func loopCallURL(ctx context.Context, c *cli, args []string) int {
	var callerID, session string
	pos, code, ok := loopFlags(c, "call-url", args, 1, func(fs *flag.FlagSet) {
		fs.StringVar(&callerID, "caller-id", "caller", "who the call URL is for (callerId)")
		fs.StringVar(&session, "session", "", "the session token register printed (default $"+envLoopSession+")")
	})
	if !ok {
		return code
	}
	cl, ok := loopClient(c, "call-url", pos[0], session, true)
	if !ok {
		return exitUsage
	}
	made, err := cl.CreateCallURL(ctx, loopapi.CallURLRequest{CallerID: callerID})
	if err != nil {
		return loopFail(c, "call-url", err)
	}
	fmt.Fprintf(c.stdout, "token %s\nurl %s\nexpires %s\n", made.CallToken, made.CallURL, time.Unix(made.ExpiresAt, 0).UTC().Format(time.RFC3339))
	return exitOK
}

func loopCall(ctx context.Context, c *cli, args []string) int {
	var callType string
	var noJoin bool
	var timeout time.Duration
	pos, code, ok := loopFlags(c, "call", args, 2, func(fs *flag.FlagSet) {
		fs.StringVar(&callType, "type", loopapi.CallTypeAudioVideo, "audio or audio-video")
		fs.BoolVar(&noJoin, "no-join", false, "only place the call; print how to join it")
		fs.DurationVar(&timeout, "timeout", 2*time.Minute, "give up after this long")
	})
	if !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cl, err := loopapi.NewClient(pos[0], loopapi.ClientOptions{}) // callers need no session
	if err != nil {
		c.errorf("loop call: %v", err)
		return exitUsage
	}
	token := pos[1]
	if i := strings.LastIndexByte(token, '/'); i >= 0 { // a whole call URL
		token = token[i+1:]
	}
	placed, err := cl.Call(ctx, token, loopapi.CallRequest{CallType: callType})
	if err != nil {
		return loopFail(c, "call", err)
	}
	fmt.Fprintf(c.stdout, "call %s\n", placed.CallID)
	if noJoin {
		fmt.Fprintf(c.stdout, "join: appwire loop join %s %s %s\n", placed.ProgressURL, placed.CallID, placed.WebsocketToken)
		return exitOK
	}
	return loopFollow(ctx, c, placed.ProgressURL, placed.CallID, placed.WebsocketToken, false)
}

func loopCalls(ctx context.Context, c *cli, args []string) int {
	var version int64
	var session string
	pos, code, ok := loopFlags(c, "calls", args, 1, func(fs *flag.FlagSet) {
		fs.Int64Var(&version, "version", 0, "list calls since this SimplePush version (the wake-up's)")
		fs.StringVar(&session, "session", "", "the session token register printed (default $"+envLoopSession+")")
	})
	if !ok {
		return code
	}
	cl, ok := loopClient(c, "calls", pos[0], session, true)
	if !ok {
		return exitUsage
	}
	calls, err := cl.Calls(ctx, version)
	if err != nil {
		return loopFail(c, "calls", err)
	}
	for _, it := range calls {
		fmt.Fprintf(c.stdout, "call %s %s from %q at %d\n", it.CallID, it.CallType, it.CallerID, it.URLCreationDate)
		fmt.Fprintf(c.stdout, "join: appwire loop join %s %s %s --accept\n", it.ProgressURL, it.CallID, it.WebsocketToken)
	}
	fmt.Fprintf(c.stdout, "%d call(s)\n", len(calls))
	return exitOK
}

func loopJoin(ctx context.Context, c *cli, args []string) int {
	var accept bool
	var timeout time.Duration
	pos, code, ok := loopFlags(c, "join", args, 3, func(fs *flag.FlagSet) {
		fs.BoolVar(&accept, "accept", false, "accept the call when it rings (the callee)")
		fs.DurationVar(&timeout, "timeout", 2*time.Minute, "give up after this long")
	})
	if !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return loopFollow(ctx, c, pos[0], pos[1], pos[2], accept)
}

// loopFollow joins the call websocket and prints each state until the
// call is connected (exit 0) or ends (1): the callee accepts when it
// rings, both parties send media-up when connecting.
func loopFollow(ctx context.Context, c *cli, progressURL, callID, token string, accept bool) int {
	cc, err := loopapi.DialCall(ctx, progressURL, callID, token)
	if err != nil {
		return loopFail(c, "join", err)
	}
	defer cc.Close()
	state := cc.State()
	for {
		fmt.Fprintf(c.stdout, "state %s\n", state)
		switch state {
		case loopapi.StateAlerting:
			if accept {
				if err := cc.Accept(ctx); err != nil {
					return loopFail(c, "accept", err)
				}
			}
		case loopapi.StateConnecting:
			if err := cc.MediaUp(ctx); err != nil {
				return loopFail(c, "media-up", err)
			}
		case loopapi.StateConnected:
			return exitOK
		case loopapi.StateTerminated:
			return exitFailed
		}
		m, err := cc.Next(ctx)
		if err != nil {
			return loopFail(c, "join", err)
		}
		if m.State == loopapi.StateTerminated && m.Reason != "" {
			fmt.Fprintf(c.stdout, "state terminated (%s)\n", m.Reason)
			return exitFailed
		}
		state = m.State
	}
}

func loopCallee(ctx context.Context, c *cli, args []string) int {
	var push, callerID string
	var count int
	pos, code, ok := loopFlags(c, "callee", args, 1, func(fs *flag.FlagSet) {
		fs.StringVar(&push, "push", "", "the SimplePush server's WebSocket URL (required)")
		fs.StringVar(&callerID, "caller-id", "caller", "who the call URL is for (callerId)")
		fs.IntVar(&count, "count", 0, "exit after answering this many calls (0: until interrupted)")
	})
	if !ok {
		return code
	}
	if push == "" {
		c.errorf("loop callee: --push PUSH_WS_URL is required (appwire serve prints it)")
		return exitUsage
	}
	loopURL := pos[0]
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ua, err := simplepush.Dial(dctx, push, simplepush.ClientOptions{})
	if err != nil {
		c.errorf("loop callee: SimplePush: %v", err)
		return exitProblem
	}
	defer ua.Close()
	endpoint, err := ua.Register(dctx, "")
	if err != nil {
		c.errorf("loop callee: SimplePush register: %v", err)
		return exitProblem
	}
	cl, err := loopapi.NewClient(loopURL, loopapi.ClientOptions{})
	if err != nil {
		c.errorf("loop callee: %v", err)
		return exitUsage
	}
	if err := cl.Register(dctx, map[string]string{loopapi.TopicCalls: endpoint}); err != nil {
		return loopFail(c, "callee: register", err)
	}
	made, err := cl.CreateCallURL(dctx, loopapi.CallURLRequest{CallerID: callerID})
	if err != nil {
		return loopFail(c, "callee: call-url", err)
	}
	fmt.Fprintf(c.stdout, "push endpoint %s\nsession %s\ncall-url %s\ntoken %s\n", endpoint, cl.SessionToken(), made.CallURL, made.CallToken)
	fmt.Fprintf(c.stdout, "waiting for calls; the caller runs: appwire loop call %s %s\n", loopURL, made.CallURL)
	answered := map[string]bool{}
	for n := 0; count == 0 || n < count; {
		var note simplepush.Notification
		select {
		case <-ctx.Done():
			return exitOK
		case note = <-ua.Notifications():
		}
		fmt.Fprintf(c.stdout, "woken version %s\n", strconv.FormatUint(note.Version, 10))
		calls, err := cl.Calls(ctx, int64(note.Version))
		if err != nil {
			return loopFail(c, "callee: calls", err)
		}
		for _, it := range calls {
			if answered[it.CallID] {
				continue
			}
			answered[it.CallID] = true
			fmt.Fprintf(c.stdout, "call %s %s from %q\n", it.CallID, it.CallType, it.CallerID)
			jctx, jcancel := context.WithTimeout(ctx, 2*time.Minute)
			rc := loopFollow(jctx, c, it.ProgressURL, it.CallID, it.WebsocketToken, true)
			jcancel()
			if rc == exitProblem {
				return rc
			}
			n++
		}
	}
	return exitOK
}
