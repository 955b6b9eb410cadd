package fuzz

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/appwire/appwire/afbproto"
)

// ErrPeerUnreachable is returned by AFB when the known-good call fails
// before any input was sent: there is nothing to fuzz.
var ErrPeerUnreachable = errors.New("fuzz: the peer does not answer the probe call")

// runner is one run of AFB.
type runner struct {
	opts                Options
	target              string
	wsURL, httpURL      string // API root, ws:// and http://
	host, rootPath      string
	probeAPI, probeVerb string
	mu                  sync.Mutex
	rep                 *Report
}

// AFB fuzzes the binder whose API root is target ("http://HOST:PORT/api"
// or "ws://HOST:PORT/api") for opts.Duration or opts.MaxInputs inputs,
// whichever comes first, and returns the report. It returns an error,
// with a partial report, when the target is not a valid URL, when the
// probe call fails before the first input (ErrPeerUnreachable), or when
// ctx ends the run early.
//
// Every input goes on a fresh connection. After every batch of
// opts.BatchSize inputs a fresh WebSocket and an HTTP request must get a
// success reply to opts.Probe; when they do not, the peer is reported
// down with the batch that preceded, and the run stops.
func AFB(ctx context.Context, target string, opts Options) (Report, error) {
	opts = opts.withDefaults()
	r := &runner{opts: opts, target: target, rep: &Report{Target: target, Seed: opts.Seed}}
	if err := r.parseTarget(); err != nil {
		return *r.rep, err
	}
	start := time.Now()
	defer func() { r.rep.Elapsed = time.Since(start) }()
	if err := r.probe(ctx); err != nil {
		return *r.rep, fmt.Errorf("%w: %v", ErrPeerUnreachable, err)
	}
	runCtx, cancel := context.WithTimeout(ctx, opts.Duration)
	defer cancel()
	for next := 0; next < opts.MaxInputs && runCtx.Err() == nil; {
		n := min(opts.BatchSize, opts.MaxInputs-next)
		r.batch(runCtx, next, n)
		batch := []int{next, next + n - 1}
		next += n
		if ctx.Err() != nil {
			break
		}
		if err := r.probe(ctx); err != nil {
			r.rep.PeerDown = true
			r.add(&Violation{Level: Must, Rule: "the peer stays up: a fresh connection gets a success reply to " + opts.Probe,
				Got: err.Error(), Batch: batch})
			break
		}
		r.rep.Probes++
	}
	r.rep.Elapsed = time.Since(start)
	return *r.rep, ctx.Err()
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

// batch sends inputs [first, first+n) with opts.Workers in flight.
func (r *runner) batch(ctx context.Context, first, n int) {
	idx := make(chan int)
	var wg sync.WaitGroup
	for range min(r.opts.Workers, n) {
		wg.Go(func() {
			for i := range idx {
				r.one(ctx, i)
			}
		})
	}
	for i := first; i < first+n && ctx.Err() == nil; i++ {
		idx <- i
	}
	close(idx)
	wg.Wait()
}

// one generates and sends input i. Inputs alternate between transports
// by index: two WebSocket inputs for one HTTP input.
func (r *runner) one(ctx context.Context, i int) {
	useHTTP := r.opts.NoWebSocket || (!r.opts.NoHTTP && i%3 == 2)
	var v *Violation
	if useHTTP {
		v = r.runHTTP(ctx, r.genHTTP(i))
	} else {
		v = r.runWS(ctx, genWS(r.opts.Seed, i, r.probeAPI, r.probeVerb))
	}
	r.mu.Lock()
	r.rep.Inputs++
	if useHTTP {
		r.rep.HTTPInputs++
	} else {
		r.rep.WSInputs++
	}
	r.mu.Unlock()
	if v != nil {
		r.add(v)
	}
}

func (r *runner) add(v *Violation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.rep.Violations) >= r.opts.MaxViolations {
		r.rep.Dropped++
		return
	}
	r.rep.Violations = append(r.rep.Violations, *v)
}

// probe checks that the peer still answers the known-good call on a fresh
// WebSocket and over HTTP.
func (r *runner) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*r.opts.InputTimeout)
	defer cancel()
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
