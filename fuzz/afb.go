package fuzz

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/appwire/appwire/afbproto"
)

// runner is one run of AFB: the peer the engine drives.
type runner struct {
	opts                AFBOptions
	target              string
	wsURL, httpURL      string // API root, ws:// and http://
	host, rootPath      string
	probeAPI, probeVerb string
}

// AFB fuzzes the binder whose API root is target ("http://HOST:PORT/api"
// or "ws://HOST:PORT/api") for opts.Duration or opts.MaxInputs inputs,
// whichever comes first, and returns the report. It returns an error,
// with a partial report, when the target is not a valid URL, when the
// probe call fails before the first input (ErrPeerUnreachable), or when
// ctx ends the run early.
//
// Every input goes on a fresh connection; two in three are WebSocket
// messages, one in three HTTP requests. After every batch of
// opts.BatchSize inputs a fresh WebSocket and an HTTP request must get a
// success reply to opts.Probe; when they do not, the peer is reported
// down with the batch that preceded, and the run stops.
func AFB(ctx context.Context, target string, opts AFBOptions) (Report, error) {
	opts = opts.withDefaults()
	r := &runner{opts: opts, target: target}
	if err := r.parseTarget(); err != nil {
		return Report{Target: target, Seed: opts.Seed}, err
	}
	return run(ctx, target, opts.Options, r)
}

func (r *runner) probeRule() string {
	return "a fresh connection gets a success reply to " + r.opts.Probe
}

func (r *runner) parseTarget() error {
	u, err := url.Parse(r.target)
	if err != nil {
		return fmt.Errorf("fuzz: bad target: %w", err)
	}
	hu, wu := *u, *u
	switch u.Scheme {
	case "http", "ws":
		hu.Scheme, wu.Scheme = "http", "ws"
	case "https", "wss":
		return fmt.Errorf("fuzz: %s targets are not supported; fuzz the plain endpoint", u.Scheme)
	default:
		return fmt.Errorf("fuzz: bad target scheme %q: want http or ws", u.Scheme)
	}
	if u.Port() == "" {
		return fmt.Errorf("fuzz: target %q has no port", r.target)
	}
	r.httpURL, r.wsURL, r.host = hu.String(), wu.String(), u.Host
	r.rootPath = strings.TrimRight(u.EscapedPath(), "/")
	if r.rootPath == "" {
		return fmt.Errorf("fuzz: target %q has no API root path (e.g. /api)", r.target)
	}
	api, verb, ok := strings.Cut(r.opts.Probe, "/")
	if !ok || api == "" || verb == "" {
		return fmt.Errorf("fuzz: probe %q is not api/verb", r.opts.Probe)
	}
	r.probeAPI, r.probeVerb = api, verb
	return nil
}

// input generates and sends input i. Inputs alternate between transports
// by index: two WebSocket inputs for one HTTP input.
func (r *runner) input(ctx context.Context, i int) (string, *Violation) {
	if r.opts.NoWebSocket || (!r.opts.NoHTTP && i%3 == 2) {
		return "http", r.runHTTP(ctx, r.genHTTP(i))
	}
	return "ws", r.runWS(ctx, genWS(r.opts.Seed, i, r.probeAPI, r.probeVerb))
}

// probe checks that the peer still answers the known-good call on a fresh
// WebSocket and over HTTP.
func (r *runner) probe(ctx context.Context) error {
	copts := afbproto.ClientOptions{Token: r.opts.Token, UUID: r.opts.UUID}
	if !r.opts.NoWebSocket {
		c, err := afbproto.Dial(ctx, r.wsURL, copts)
		if err != nil {
			return fmt.Errorf("websocket: %w", err)
		}
		_, err = c.Call(ctx, r.probeAPI, r.probeVerb, nil)
		c.Close()
		if err != nil {
			return fmt.Errorf("websocket %s: %w", r.opts.Probe, err)
		}
	}
	if !r.opts.NoHTTP {
		c, err := afbproto.NewHTTPClient(r.httpURL, copts)
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := c.Call(ctx, r.probeAPI, r.probeVerb, nil); err != nil {
			return fmt.Errorf("http %s: %w", r.opts.Probe, err)
		}
	}
	return nil
}
