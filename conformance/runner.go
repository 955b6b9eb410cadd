package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Runner defaults.
const (
	DefaultTimeout = 5 * time.Second
	// grace is how long the runner waits past a case's timeout for its
	// goroutine to notice the context before it abandons the case.
	grace = time.Second
)

// Runner runs the cases of a suite against a target.
type Runner struct {
	// Timeout bounds each case; zero means DefaultTimeout.
	Timeout time.Duration
	// Parallel is how many cases run at once; zero or one runs them in
	// order. Every case uses its own connections, so cases are
	// independent unless the target shares state between connections.
	Parallel int
	// Strict also runs SHOULD-level cases.
	Strict bool
	// Profile selects the dialect; "" means the suite's default.
	Profile string
	// Only keeps only cases whose ID equals or starts with one of these
	// prefixes ("afb/4", "afb/4.2/3"); empty runs every case. A prefix
	// matches whole ID segments only: "afb/4" matches "afb/4/1" and
	// "afb/4.2/1" but "afb/4.2/1" does not match "afb/4.2/10".
	Only []string
	// Progress, when set, is called with each result as its case ends.
	// Calls are serialised.
	Progress func(Result)
}

// ErrUnknownProfile is returned when the runner's profile is not one of the
// suite's.
var ErrUnknownProfile = errors.New("conformance: unknown profile")

// Selected returns the cases of s that match the runner's ID prefixes, in
// suite order. Profile and strictness do not filter here: cases they
// exclude are reported as skipped.
func (r *Runner) Selected(s *Suite) []*Case {
	var out []*Case
	for i := range s.Cases {
		c := &s.Cases[i]
		if matchPrefix(c.ID, r.Only) {
			out = append(out, c)
		}
	}
	return out
}

func matchPrefix(id string, prefixes []string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		p = strings.TrimSuffix(p, "/")
		if id == p || strings.HasPrefix(id, p+"/") {
			return true
		}
		// "afb/4" also selects section "4.2": a section prefix matches
		// at a dot as well as at a slash.
		if strings.HasPrefix(id, p+".") {
			return true
		}
	}
	return false
}

// ErrUnreachable is wrapped by the error Run returns when the suite's
// Probe fails before the first case: the target cannot be tested at all.
var ErrUnreachable = errors.New("conformance: target unreachable")

// Run runs the selected cases of s against target and returns the report.
// It returns an error, and no report, when the suite, the profile or a
// parameter is invalid (ErrInvalidSuite, ErrUnknownProfile, ErrBadParam).
// When the suite's Probe says the target cannot be reached it runs no case
// and returns ErrUnreachable with a report that says why
// (Report.Unreachable), for report files. A case that cannot reach the target ends with verdict
// Error; when the probe then fails too, the run stops there and the report
// says so once (Report.Stopped). Cancelling ctx ends the run early: cases
// not yet started are reported as errors.
func (r *Runner) Run(ctx context.Context, s *Suite, target Target) (*Report, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	profile := r.Profile
	if profile == "" {
		profile = s.DefaultProfile()
	}
	if !s.HasProfile(profile) {
		return nil, fmt.Errorf("%w %q for suite %s", ErrUnknownProfile, profile, s.Name)
	}
	if err := s.checkParams(target.Params); err != nil {
		return nil, err
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	par := r.Parallel
	if par < 1 {
		par = 1
	}
	cases := r.Selected(s)
	rep := &Report{
		Suite:   s.Name,
		Title:   s.Title,
		Target:  target.URL,
		Profile: profile,
		Strict:  r.Strict,
		Started: time.Now(),
	}
	if len(cases) > 0 && s.Probe != nil {
		pctx, cancel := context.WithTimeout(ctx, timeout)
		err := s.Probe(pctx, target) // once: before the run, a failure is the answer
		cancel()
		if err != nil {
			rep.Unreachable = err.Error()
			rep.Duration = time.Since(rep.Started)
			return rep, fmt.Errorf("%w: %v", ErrUnreachable, err)
		}
	}
	results := make([]Result, len(cases))
	ran := make([]bool, len(cases))
	var (
		mu      sync.Mutex // guards the results, ran, stopped, last and Progress calls
		stopped *Stopped
		last    string // the last case that ended
		wg      sync.WaitGroup
		sem     = make(chan struct{}, par)
	)
	isStopped := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return stopped != nil
	}
	for i, c := range cases {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if isStopped() {
			<-sem
			break
		}
		if ctx.Err() != nil {
			results[i] = Result{ID: c.ID, Section: c.Section(), Title: c.Title, Level: c.Level,
				Requirement: c.Requirement, Verdict: Error, Message: "run cancelled: " + ctxErrText(ctx)}
			ran[i] = true
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res := r.runCase(ctx, s, c, target, profile, timeout)
			var gone error
			if (res.Verdict == Error || res.Verdict == Fail) && s.Probe != nil && ctx.Err() == nil {
				gone = r.probe(ctx, s, target, timeout)
			}
			mu.Lock()
			defer mu.Unlock()
			results[i], ran[i] = res, true
			if gone != nil && stopped == nil && ctx.Err() == nil {
				stopped = &Stopped{During: c.ID, After: last, Reason: gone.Error()}
			}
			last = c.ID
			if r.Progress != nil {
				r.Progress(res)
			}
		}()
	}
	wg.Wait()
	for i, c := range cases {
		if ran[i] {
			rep.Results = append(rep.Results, results[i])
		} else if stopped != nil {
			stopped.NotRun = append(stopped.NotRun, c.ID)
		}
	}
	rep.Stopped = stopped
	rep.Duration = time.Since(rep.Started)
	return rep, nil
}

// probe runs the suite's probe after a case, and once more after a short
// pause when it fails, so that a target that is only busy is not reported
// gone.
func (r *Runner) probe(ctx context.Context, s *Suite, target Target, timeout time.Duration) error {
	var err error
	for attempt := range 2 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(200 * time.Millisecond):
			}
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		err = s.Probe(pctx, target)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// runCase runs one case and never blocks longer than timeout plus grace.
func (r *Runner) runCase(ctx context.Context, s *Suite, c *Case, target Target, profile string, timeout time.Duration) Result {
	t := newT(target, s.Params, profile, r.Strict)
	switch {
	case !c.inProfile(profile):
		t.setVerdict(Skip, fmt.Sprintf("not in profile %q (only %s)", profile, strings.Join(c.Profiles, ", ")))
		return t.result(c, 0)
	case c.Level == Should && !r.Strict:
		t.setVerdict(Skip, "SHOULD-level case: runs with strict mode")
		return t.result(c, 0)
	}
	cctx, cancel := context.WithTimeoutCause(ctx, timeout,
		fmt.Errorf("case timed out after %v", timeout))
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				t.setVerdict(Error, fmt.Sprintf("case panicked: %v", p))
			}
		}()
		c.Run(cctx, t)
	}()
	hard := time.NewTimer(timeout + grace)
	defer hard.Stop()
	select {
	case <-done:
		// A case that returned normally after its context ended was cut
		// short: waiting on the target is what timed out.
		if cctx.Err() != nil && ctx.Err() == nil {
			t.setVerdict(Error, "case did not finish: "+ctxErrText(cctx))
		}
	case <-hard.C:
		t.setVerdict(Error, fmt.Sprintf("case did not stop within %v of its timeout; abandoned", grace))
	case <-ctx.Done():
		select {
		case <-done:
		case <-time.After(grace):
		}
		t.setVerdict(Error, "run cancelled: "+ctxErrText(ctx))
	}
	return t.result(c, time.Since(t.start))
}
