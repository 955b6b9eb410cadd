package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/appwire/appwire/conformance"
	loopsuite "github.com/appwire/appwire/conformance/loop"
)

func loopProtocol() protocol {
	cfg := &loopServeConfig{profile: loopsuite.Profile017}
	return protocol{
		name:  "loop",
		about: "Firefox Hello (Loop) REST API: Hawk, call URLs, calls, the call websocket, wake-up through SimplePush",
		suite: loopsuite.Suite,
		probe: probeLoop,
		needs: []string{"simplepush"},
		serveFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&cfg.profile, "loop-profile", cfg.profile,
				"upstream version to behave as: 0.17 (the whole call-url flow) or head (POST /call-url answers 405)")
			fs.DurationVar(&cfg.supervisory, "loop-supervisory-duration", 0, "call timer: the other party must say hello in time (0: 10s)")
			fs.DurationVar(&cfg.ringing, "loop-ringing-duration", 0, "call timer: the callee must accept in time (0: 30s)")
			fs.DurationVar(&cfg.connection, "loop-connection-duration", 0, "call timer: both parties must send media-up in time (0: 10s)")
			fs.DurationVar(&cfg.callDuration, "loop-call-duration", 0, "how long a call record lives (0: 60s)")
		},
		serve: func(ctx context.Context, ln net.Listener, env *serveEnv) (*instance, error) {
			return serveLoop(ctx, ln, env, cfg)
		},
		fuzz: loopFuzzer(),
		tool: &command{"loop", "Loop client: loop callee, loop call, and the single steps register, call-url, calls, join", cmdLoop},
	}
}

// probeLoop checks that target is an http(s) base URL that answers HTTP.
func probeLoop(ctx context.Context, target conformance.Target) error {
	u, err := url.Parse(target.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http:// URL: want the Loop server's base URL, http://HOST:PORT", target.URL)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return probeHTTP(ctx, strings.TrimRight(target.URL, "/")+"/")
}
