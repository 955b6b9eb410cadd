package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"time"

	"github.com/appwire/appwire/conformance"
	spsuite "github.com/appwire/appwire/conformance/simplepush"
	"github.com/appwire/appwire/fuzz"
	"github.com/appwire/appwire/internal/wsconn"
	"github.com/appwire/appwire/simplepush"
)

// simplepushServeConfig is what the "serve" flags set for the push server.
type simplepushServeConfig struct {
	dialect                                       string
	resendOnAck                                   bool
	helloTimeout, minPingInterval, retransmitTime time.Duration
}

func simplepushProtocol() protocol {
	cfg := &simplepushServeConfig{dialect: "pushgo"}
	return protocol{
		name:  "simplepush",
		about: "Mozilla SimplePush (WebSocket user agents, PUT endpoint)",
		suite: spsuite.Suite,
		probe: probeWebSocket,
		serveProfile: func(profile string) error {
			switch profile {
			case spsuite.ProfileAppwire:
				cfg.dialect = "pushgo"
			case spsuite.ProfilePushgo:
				// pushgo re-flushes every pending update after each ack.
				cfg.dialect, cfg.resendOnAck = "pushgo", true
			case spsuite.ProfileAutopush:
				cfg.dialect = "autopush"
			default:
				return fmt.Errorf("no dialect for profile %q", profile)
			}
			return nil
		},
		serveFlags: func(fs *flag.FlagSet) {
			fs.Func("simplepush-dialect",
				"wire `dialect` where upstreams disagree: pushgo or autopush (see go doc ./simplepush Dialect) (default pushgo)",
				func(v string) error {
					if _, ok := simplepush.ParseDialect(v); !ok || v == "" {
						return errors.New("want pushgo or autopush")
					}
					cfg.dialect = v
					return nil
				})
			fs.DurationVar(&cfg.helloTimeout, "simplepush-hello-timeout", 0,
				fmt.Sprintf("from socket open to hello (0: the default, %s)", simplepush.DefaultHelloTimeout))
			fs.DurationVar(&cfg.minPingInterval, "simplepush-min-ping-interval", 0,
				fmt.Sprintf("shortest interval between client pings (0: the dialect's default, %s for pushgo, 55s for autopush)", simplepush.DefaultMinPingInterval))
			fs.DurationVar(&cfg.retransmitTime, "simplepush-retransmit-interval", 0,
				fmt.Sprintf("resend of unacked updates on a live socket (0: the default, %s)", simplepush.DefaultRetransmitInterval))
		},
		serve: func(ctx context.Context, ln net.Listener, env *serveEnv) (*instance, error) {
			return serveSimplePush(ctx, ln, env, cfg)
		},
		fuzz: simplepushFuzzer(),
		tool: &command{"push", "SimplePush tools: push notify ENDPOINT, push listen URL", cmdPush},
	}
}

// serveSimplePush runs the reference server with the in-memory store, or
// as one node of a Redis cluster with --redis (simplepush_redis.go);
// endpoints are served on the same listener under /update/.
func serveSimplePush(ctx context.Context, ln net.Listener, env *serveEnv, cfg *simplepushServeConfig) (*instance, error) {
	dialect, ok := simplepush.ParseDialect(cfg.dialect)
	if !ok {
		return nil, fmt.Errorf("--simplepush-dialect %q: want pushgo or autopush", cfg.dialect)
	}
	if cfg.helloTimeout < 0 || cfg.minPingInterval < 0 || cfg.retransmitTime < 0 {
		return nil, fmt.Errorf("the --simplepush-* durations must not be negative")
	}
	wake := &simplepush.UDPWakeup{
		// A demo server kicks loopback addresses only.
		Allow: func(a netip.AddrPort) bool { return a.Addr().IsLoopback() },
	}
	opts, closeRedis, err := simplePushRedis(ctx, env.redisURL, ln)
	if err != nil {
		return nil, err
	}
	opts.Dialect = dialect
	opts.ResendPendingOnAck = cfg.resendOnAck
	opts.HelloTimeout = cfg.helloTimeout
	opts.MinPingInterval = cfg.minPingInterval
	opts.RetransmitInterval = cfg.retransmitTime
	opts.MaxConnections = -1 // load tools open tens of thousands of sockets
	opts.Wakeup = wake
	s, err := simplepush.NewServer(opts)
	if err != nil {
		closeRedis()
		return nil, err
	}
	// Server.Serve shuts down gracefully when its context ends: PUTs in
	// flight finish, then sockets get close 1001.
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- s.Serve(sctx, ln) }()
	addr := ln.Addr().String()
	u := "ws://" + addr + "/"
	params := map[string]string{}
	conform := fmt.Sprintf("go run ./cmd/appwire conform simplepush %s", u)
	if dialect != simplepush.DialectPushgo {
		conform += " --profile " + dialect.String()
	}
	for _, p := range []struct {
		name string
		d    time.Duration
	}{
		{spsuite.ParamHelloTimeout, cfg.helloTimeout},
		{spsuite.ParamMinPingInterval, cfg.minPingInterval},
		{spsuite.ParamRetransmitInterval, cfg.retransmitTime},
	} {
		if p.d > 0 {
			params[p.name] = p.d.String()
			conform += fmt.Sprintf(" --%s %s", p.name, p.d)
		}
	}
	return &instance{
		url:    u,
		params: params,
		value:  s,
		examples: []string{
			fmt.Sprintf("go run ./cmd/appwire push listen %s    # a user agent: prints its endpoint, then notifications", u),
			"go run ./cmd/appwire push notify ENDPOINT --version 2 --data hi    # the app server, in another terminal",
			`curl -X PUT -d version=3 ENDPOINT    # the same with curl`,
			conform,
			fmt.Sprintf("go run ./cmd/appwire fuzz simplepush %s --duration 10s", u),
		},
		shutdown: func(ctx context.Context) error {
			stop()
			defer wake.Close()
			select {
			case err := <-done:
				closeRedis()
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	}, nil
}

// probeWebSocket checks that target is a ws:// or wss:// URL whose server
// completes a WebSocket handshake.
func probeWebSocket(ctx context.Context, target conformance.Target) error {
	u, err := url.Parse(target.URL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return fmt.Errorf("%q is not a ws:// URL: want the push server's WebSocket URL, ws://HOST:PORT/", target.URL)
	}
	c, err := wsconn.Dial(ctx, target.URL, wsconn.DialOptions{})
	if err != nil {
		return fmt.Errorf("WebSocket handshake with %s: %w", target.URL, err)
	}
	c.CloseNow()
	return nil
}

func simplepushFuzzer() *fuzzer {
	return &fuzzer{
		target: "the push server's WebSocket URL, ws://HOST:PORT/",
		about: "mutated hello, register and ack messages and text that is not JSON to fresh user agents, and abusive PUTs " +
			"(bad tokens, versions and data, other methods, huge bodies) to a channel's endpoint; checks what pushgo and autopush both do",
		flags: func(*flag.FlagSet) func(context.Context, string, fuzz.Options) (fuzz.Report, error) {
			return fuzz.SimplePush
		},
	}
}
