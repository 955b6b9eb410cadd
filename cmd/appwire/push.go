package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/appwire/appwire/simplepush"
)

// cmdPush implements the SimplePush tools: "push notify" (an app server's
// PUT to an endpoint) and "push listen" (a user agent printing what it
// gets).
func cmdPush(ctx context.Context, c *cli, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "notify":
			return pushNotify(ctx, c, args[1:])
		case "listen":
			return pushListen(ctx, c, args[1:])
		case "-h", "--help", "help":
			pushUsage(c)
			return exitOK
		}
	}
	pushUsage(c)
	return exitUsage
}

func pushUsage(c *cli) {
	fmt.Fprintln(c.stderr, "usage: appwire push notify ENDPOINT [--version N] [--data S]")
	fmt.Fprintln(c.stderr, "       appwire push listen URL [--count N]")
	fmt.Fprintln(c.stderr, "\nnotify PUTs version=N&data=S to a pushEndpoint: exit 0 when delivered (200) or stored (202), 1 otherwise.")
	fmt.Fprintln(c.stderr, "listen connects a user agent to a SimplePush server (ws://HOST:PORT/), registers one channel,")
	fmt.Fprintln(c.stderr, "prints its endpoint, then one line per notification: CHANNEL VERSION DATA.")
}

func pushNotify(ctx context.Context, c *cli, args []string) int {
	var (
		version uint64
		data    string
		timeout time.Duration
	)
	fs := flag.NewFlagSet("push notify", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Uint64Var(&version, "version", 0, "the version (0: let the server use its clock)")
	fs.StringVar(&data, "data", "", "data for a connected user agent (at most 4096 bytes)")
	fs.DurationVar(&timeout, "timeout", 30*time.Second, "timeout of the request")
	fs.Usage = func() { pushUsage(c); fmt.Fprintln(c.stderr, "\nflags:"); fs.PrintDefaults() }
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	st, err := simplepush.NotifyEndpoint(ctx, hc, pos[0], version, data)
	var ne *simplepush.NotifyError
	switch {
	case errors.As(err, &ne):
		c.errorf("push notify: %v", err)
		return exitFailed
	case err != nil:
		c.errorf("push notify: %v", err)
		return exitProblem
	}
	fmt.Fprintf(c.stdout, "%d %s\n", int(st), st)
	return exitOK
}

func pushListen(ctx context.Context, c *cli, args []string) int {
	var count int
	fs := flag.NewFlagSet("push listen", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.IntVar(&count, "count", 0, "exit after this many notifications (0: run until interrupted)")
	fs.Usage = func() { pushUsage(c); fmt.Fprintln(c.stderr, "\nflags:"); fs.PrintDefaults() }
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ua, err := simplepush.Dial(dctx, pos[0], simplepush.ClientOptions{
		OnReset: func(r simplepush.Reset) {
			for chid, ep := range r.Endpoints {
				fmt.Fprintf(c.stdout, "endpoint %s %s (uaid reset)\n", chid, ep)
			}
		},
	})
	if err != nil {
		c.errorf("push listen: %v", err)
		return exitProblem
	}
	defer ua.Close()
	chid := simplepush.NewChannelID()
	ep, err := ua.Register(dctx, chid)
	if err != nil {
		c.errorf("push listen: register: %v", err)
		return exitProblem
	}
	fmt.Fprintf(c.stdout, "uaid %s\nendpoint %s %s\n", ua.UAID(), chid, ep)
	for n := 0; count == 0 || n < count; n++ {
		select {
		case <-ctx.Done():
			return exitOK
		case u := <-ua.Notifications():
			fmt.Fprintf(c.stdout, "%s %s %q\n", u.ChannelID, strconv.FormatUint(u.Version, 10), u.Data)
		}
	}
	return exitOK
}
