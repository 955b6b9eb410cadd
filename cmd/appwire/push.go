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

// pushTool is "appwire push": "push notify" (an app server's PUT to an
// endpoint) and "push listen" (a user agent printing what it gets).
func pushTool() *toolGroup {
	return &toolGroup{
		name:  "push",
		about: "SimplePush tools. Exit status: 0 done, 1 the server refused, 2 usage, 3 the server could not be reached.",
		subs: []subcommand{
			{
				name:  "notify",
				args:  "ENDPOINT",
				about: "PUTs version=N&data=S to a pushEndpoint: exit 0 when delivered (200) or stored (202), 1 otherwise.",
				flags: pushNotifyFlags,
			},
			{
				name: "listen",
				args: "URL",
				about: "Connects a user agent to a SimplePush server (ws://HOST:PORT/), registers one channel,\n" +
					"prints its endpoint, then one line per notification: CHANNEL VERSION DATA.",
				flags: pushListenFlags,
			},
		},
	}
}

func cmdPush(ctx context.Context, c *cli, args []string) int { return pushTool().run(ctx, c, args) }

func pushNotifyFlags(fs *flag.FlagSet) func(context.Context, *cli, []string, func(string, ...any) int) int {
	var (
		version uint64
		data    string
		timeout time.Duration
	)
	fs.Uint64Var(&version, "version", 0, "the version (0: let the server use its clock)")
	fs.StringVar(&data, "data", "", "data for a connected user agent (at most 4096 bytes)")
	fs.DurationVar(&timeout, "timeout", 30*time.Second, "timeout of the request")
	return func(ctx context.Context, c *cli, pos []string, usage func(string, ...any) int) int {
		switch {
		case len(pos) == 0:
			return usage("missing ENDPOINT (the pushEndpoint URL a register reply carried)")
		case len(pos) > 1:
			return usage("unexpected argument %q after ENDPOINT", pos[1])
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
}

func pushListenFlags(fs *flag.FlagSet) func(context.Context, *cli, []string, func(string, ...any) int) int {
	var count int
	fs.IntVar(&count, "count", 0, "exit after this many notifications (0: run until interrupted)")
	return func(ctx context.Context, c *cli, pos []string, usage func(string, ...any) int) int {
		switch {
		case len(pos) == 0:
			return usage("missing URL (the push server's WebSocket URL, ws://HOST:PORT/)")
		case len(pos) > 1:
			return usage("unexpected argument %q after URL", pos[1])
		}
		return pushListen(ctx, c, pos[0], count)
	}
}

func pushListen(ctx context.Context, c *cli, url string, count int) int {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ua, err := simplepush.Dial(dctx, url, simplepush.ClientOptions{
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
