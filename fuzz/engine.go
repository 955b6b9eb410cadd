package fuzz

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrPeerUnreachable is returned when the liveness probe fails before any
// input was sent: there is nothing to fuzz.
var ErrPeerUnreachable = errors.New("fuzz: the peer does not answer the probe")

// peer is one protocol's side of a run: the engine schedules inputs,
// probes and progress, the peer makes, sends and judges them.
type peer interface {
	// probe checks that a fresh connection still gets a known-good
	// exchange answered.
	probe(ctx context.Context) error
	// probeRule names what probe checks, for the violation when it fails.
	probeRule() string
	// input generates input index from the seed alone, sends it on fresh
	// connections and judges the answer. transport names the channel
	// ("ws", "http", "frame") for the report's counts.
	input(ctx context.Context, index int) (transport string, v *Violation)
}

// throttled is the transport a peer's input reports when the peer refused
// it for a quota (counted in Report.Throttled, judged by nothing).
const throttled = "throttled"

// engine runs inputs against a peer.
type engine struct {
	opts Options
	p    peer
	mu   sync.Mutex
	rep  *Report
	seen int          // violations found, kept or not
	new  []Violation  // since the last progress call
	pace *time.Ticker // Options.Rate
}

// run fuzzes p for opts.Duration or opts.MaxInputs inputs, whichever
// comes first. Every batch of opts.BatchSize inputs is followed by a
// liveness probe; when it fails the peer is reported down with the batch
// that preceded, and the run stops. It returns an error, with a partial
// report, when the probe fails before the first input
// (ErrPeerUnreachable) or when ctx ends the run early.
func run(ctx context.Context, target string, opts Options, p peer) (Report, error) {
	e := &engine{opts: opts, p: p, rep: &Report{Target: target, Seed: opts.Seed, Transports: map[string]int{}}}
	if opts.Rate > 0 {
		e.pace = time.NewTicker(time.Duration(float64(time.Second) / opts.Rate))
		defer e.pace.Stop()
	}
	start := time.Now()
	if err := e.probe(ctx); err != nil {
		e.rep.Elapsed = time.Since(start)
		return *e.rep, fmt.Errorf("%w: %v", ErrPeerUnreachable, err)
	}
	runCtx, cancel := context.WithTimeout(ctx, opts.Duration)
	defer cancel()
	for next := 0; next < opts.MaxInputs && runCtx.Err() == nil; {
		n := min(opts.BatchSize, opts.MaxInputs-next)
		e.batch(runCtx, next, n)
		batch := []int{next, next + n - 1}
		next += n
		if ctx.Err() != nil {
			break
		}
		if err := e.probe(ctx); err != nil {
			e.rep.PeerDown = true
			e.add(&Violation{Level: Must, Rule: "the peer stays up: " + p.probeRule(), Got: err.Error(), Batch: batch})
			e.progress(start)
			break
		}
		e.rep.Probes++
		e.progress(start)
	}
	e.rep.Elapsed = time.Since(start)
	return *e.rep, ctx.Err()
}

func (e *engine) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*e.opts.InputTimeout)
	defer cancel()
	return e.p.probe(ctx)
}

func (e *engine) progress(start time.Time) {
	if e.opts.Progress == nil {
		return
	}
	e.mu.Lock()
	pr := Progress{Inputs: e.rep.Inputs, Probes: e.rep.Probes, Violations: e.seen, Elapsed: time.Since(start), New: e.new}
	e.new = nil
	e.mu.Unlock()
	e.opts.Progress(pr)
}

// batch sends inputs [first, first+n) with opts.Workers in flight.
func (e *engine) batch(ctx context.Context, first, n int) {
	idx := make(chan int)
	var wg sync.WaitGroup
	for range min(e.opts.Workers, n) {
		wg.Go(func() {
			for i := range idx {
				tr, v := e.p.input(ctx, i)
				if v != nil && v.Input != nil && !runOver(ctx) {
					v = e.confirm(ctx, i, v)
				}
				e.mu.Lock()
				e.rep.Inputs++
				if tr == throttled {
					e.rep.Throttled++
				} else {
					e.rep.Transports[tr]++
				}
				e.mu.Unlock()
				if v != nil {
					if v.Input != nil {
						v.Input.Seed = e.opts.Seed
					}
					e.add(v)
				}
			}
		})
	}
	for i := first; i < first+n && ctx.Err() == nil; i++ {
		if e.pace != nil {
			select {
			case <-e.pace.C:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
		}
		idx <- i
	}
	close(idx)
	wg.Wait()
}

// confirm sends input i again after a violation. A MUST violation that
// does not show the second time is kept as SHOULD: it is reported, but an
// intermittent one (often a peer slowed down by the machine's load past
// InputTimeout) does not fail the run. A deterministic one stays MUST.
func (e *engine) confirm(ctx context.Context, i int, v *Violation) *Violation {
	if v.Level != Must {
		return v
	}
	_, again := e.p.input(ctx, i)
	if again == nil && !runOver(ctx) {
		v.Level = Should
		v.Got += " (not seen when the same input was sent again: intermittent, or the peer was slow)"
	}
	return v
}

func (e *engine) add(v *Violation) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seen++
	e.new = append(e.new, *v)
	if len(e.rep.Violations) >= e.opts.MaxViolations {
		e.rep.Dropped++
		return
	}
	e.rep.Violations = append(e.rep.Violations, *v)
}
