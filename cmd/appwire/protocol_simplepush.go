package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	spsuite "github.com/appwire/appwire/conformance/simplepush"
	"github.com/appwire/appwire/simplepush"
)

func simplepushProtocol() protocol {
	return protocol{
		name:  "simplepush",
		about: "Mozilla SimplePush (WebSocket user agents, PUT endpoint)",
		suite: spsuite.Suite,
		serve: serveSimplePush,
	}
}

// serveSimplePush runs the reference server with the in-memory store, or
// as one node of a Redis cluster with --redis (simplepush_redis.go);
// endpoints are served on the same listener under /update/.
func serveSimplePush(ctx context.Context, ln net.Listener, cfg serveConfig) (*instance, error) {
	wake := &simplepush.UDPWakeup{
		// A demo server kicks loopback addresses only.
		Allow: func(a netip.AddrPort) bool { return a.Addr().IsLoopback() },
	}
	opts, closeRedis, err := simplePushRedis(ctx, cfg, ln)
	if err != nil {
		return nil, err
	}
	opts.MaxConnections = -1 // load tools open tens of thousands of sockets
	opts.Wakeup = wake
	s, err := simplepush.NewServer(opts)
	if err != nil {
		closeRedis()
		return nil, err
	}
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- s.Serve(sctx, ln) }()
	addr := ln.Addr().String()
	url := "ws://" + addr + "/"
	return &instance{
		url: url,
		examples: []string{
			fmt.Sprintf("go run ./cmd/appwire push listen %s    # a user agent: prints its endpoint, then notifications", url),
			"go run ./cmd/appwire push notify ENDPOINT --version 2 --data hi    # the app server, in another terminal",
			`curl -X PUT -d version=3 ENDPOINT    # the same with curl`,
			fmt.Sprintf("go run ./cmd/appwire conform simplepush %s", url),
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
