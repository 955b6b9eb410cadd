// Package conformancetest proves that a conformance suite is a real test:
// the reference implementation passes every case, every case fails against
// at least one deliberately broken implementation (a mutant), and every
// mutant is caught by at least one case.
//
// Start here: a suite's proof is one call,
//
//	func TestProof(t *testing.T) {
//		conformancetest.Prove(t, Suite(), conformance.Runner{Timeout: 3 * time.Second, Parallel: 8},
//			func(t *testing.T, profile string) conformance.Target { return target(startServer(t, profile)) },
//			mutants())
//	}
//
// where each Mutant starts the reference server with ONE behaviour
// flipped: by an option, by a handler wrapper ([RewriteResponses],
// [RewriteRequests]), by a WebSocket frame proxy ([FrameProxy],
// [TextProxy], with [EditObject] and [Elements] for JSON messages) or by
// a byte-stream proxy ([StreamProxy]).
// Mutants live in test code, never as public knobs of the production
// servers.
//
// Under -short only the mutants marked Short run (pick a few cheap ones
// that cover each way of breaking the server): the reference still runs
// in every profile and each short mutant must still be caught, but the
// "every case caught" check needs the full run.
//
// [HostileCheck] is the other half: against peers that are down, silent
// or answer garbage, a suite must judge Error or Fail and never hang. The
// peers themselves are in internal/testserver.
package conformancetest

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/docs"
)

// Mutant is a deliberately broken implementation for Prove.
type Mutant struct {
	// Name says what is broken, in a few words ("ack-ignored").
	Name string
	// Profile the suite runs under against it; "" is the suite's default.
	Profile string
	// Short also runs it under -short.
	Short bool
	// Start starts the mutant and returns the target for the suite; what
	// it starts must stop when t ends (t.Cleanup).
	Start func(t *testing.T) conformance.Target
}

// Reference starts a correct implementation serving profile and returns
// the target; what it starts must stop when t ends.
type Reference func(t *testing.T, profile string) conformance.Target

// runsAtOnce is how many runs (reference or mutant, or a hostile peer
// and profile) go at once; each run's cases go r.Parallel at a time.
// Cases mostly wait on the network, so a few runs share the CPUs well;
// under the race detector they would starve each other.
func runsAtOnce() int {
	if raceEnabled {
		return 2
	}
	return max(4, runtime.GOMAXPROCS(0))
}

// Prove checks that s is well formed (Validate) and agrees with its
// protocol reference (CheckReference), then runs it against the reference
// in every profile of the suite and against every mutant (under -short,
// the Short ones), one subtest each, and reports: a case of the profile that does not pass against the
// reference; a mutant that no case fails; and (full run only) a case that
// no mutant fails or that never ran against a reference. The runner's
// Timeout and Parallel are used for every run; Strict is forced on so that
// SHOULD cases are proven too.
func Prove(t *testing.T, s *conformance.Suite, r conformance.Runner, ref Reference, mutants []Mutant) {
	t.Helper()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, ok := docs.Reference(s.Name); ok {
		CheckReference(t, s)
	} else {
		t.Logf("no docs/protocols/%s.md yet: case IDs and profiles are not checked against a reference", s.Name)
	}
	p := newProof(t, s, r)
	seen := map[string]bool{}
	for _, m := range mutants {
		if seen[m.Name] || m.Name == "" || m.Start == nil {
			t.Fatalf("conformancetest: mutant %q: empty, duplicate or without Start", m.Name)
		}
		seen[m.Name] = true
		if m.Profile != "" && !s.HasProfile(m.Profile) {
			t.Fatalf("conformancetest: mutant %q: unknown profile %q", m.Name, m.Profile)
		}
	}
	profiles := []string{s.DefaultProfile()}
	for _, pr := range s.Profiles[min(1, len(s.Profiles)):] {
		profiles = append(profiles, pr.Name)
	}
	var (
		wg  sync.WaitGroup
		sem = make(chan struct{}, runsAtOnce())
	)
	run := func(name string, f func(t *testing.T)) {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t.Run(name, f)
		}()
	}
	for _, profile := range profiles {
		run("reference/"+orDefault(profile), func(t *testing.T) {
			p.reference(t, profile, ref(t, profile))
		})
	}
	ran := 0
	for _, m := range mutants {
		if testing.Short() && !m.Short {
			continue
		}
		ran++
		run("mutant/"+m.Name, func(t *testing.T) {
			profile := m.Profile
			if profile == "" {
				profile = s.DefaultProfile()
			}
			p.mutant(t, m.Name, profile, m.Start(t))
		})
	}
	wg.Wait()
	if testing.Short() {
		t.Logf("-short: %d of %d mutants run; the full run checks that every case is caught", ran, len(mutants))
		return
	}
	p.done(t)
}

func orDefault(profile string) string {
	if profile == "" {
		return "default"
	}
	return profile
}

// proof collects the verdicts of the runs of one suite.
type proof struct {
	suite  *conformance.Suite
	runner conformance.Runner
	mu     sync.Mutex
	caught map[string][]string // case ID -> mutants that failed it
	ranRef map[string]bool     // case IDs run against a reference
}

func newProof(_ testing.TB, s *conformance.Suite, r conformance.Runner) *proof {
	r.Strict = true
	r.Only = nil
	r.Progress = nil
	return &proof{suite: s, runner: r, caught: map[string][]string{}, ranRef: map[string]bool{}}
}

func (p *proof) run(t testing.TB, profile string, target conformance.Target) *conformance.Report {
	t.Helper()
	r := p.runner
	r.Profile = profile
	rep, err := r.Run(context.Background(), p.suite, target)
	if err != nil {
		t.Fatalf("conformancetest: %v", err)
	}
	return rep
}

// reference runs the suite against a correct implementation under
// profile: every case in the profile must pass.
func (p *proof) reference(t testing.TB, profile string, target conformance.Target) {
	t.Helper()
	rep := p.run(t, profile, target)
	for _, r := range rep.Results {
		if r.Verdict == conformance.Skip && !inProfile(p.suite, r.ID, rep.Profile) {
			continue
		}
		p.mu.Lock()
		p.ranRef[r.ID] = true
		p.mu.Unlock()
		if r.Verdict != conformance.Pass {
			var b strings.Builder
			_ = conformance.WriteText(&b, &conformance.Report{Title: rep.Title, Target: rep.Target,
				Profile: rep.Profile, Results: []conformance.Result{r}}, conformance.TextOptions{})
			t.Errorf("reference (profile %q): %s is %v, want PASS:\n%s", rep.Profile, r.ID, r.Verdict, b.String())
		}
	}
}

// mutant runs the suite against a broken implementation under profile and
// records which cases fail. A mutant that no case fails is a gap.
func (p *proof) mutant(t testing.TB, name, profile string, target conformance.Target) {
	t.Helper()
	rep := p.run(t, profile, target)
	var failed []string
	p.mu.Lock()
	for _, r := range rep.Results {
		if r.Verdict == conformance.Fail {
			failed = append(failed, r.ID)
			if !slices.Contains(p.caught[r.ID], name) {
				p.caught[r.ID] = append(p.caught[r.ID], name)
			}
		}
	}
	p.mu.Unlock()
	if len(failed) == 0 {
		t.Errorf("mutant %q (profile %q) survived: no case of suite %s fails against it", name, rep.Profile, p.suite.Name)
	} else {
		t.Logf("mutant %-28s caught by %s", name, strings.Join(failed, " "))
	}
}

// done checks that every case was caught by at least one mutant and ran
// against a reference.
func (p *proof) done(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	var missing, notRun []string
	for _, c := range p.suite.Cases {
		if len(p.caught[c.ID]) == 0 {
			missing = append(missing, c.ID)
		}
		if !p.ranRef[c.ID] {
			notRun = append(notRun, c.ID)
		}
	}
	if len(notRun) > 0 {
		t.Errorf("cases never run against a reference: %s", strings.Join(notRun, " "))
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d cases are caught by no mutant (a case no mutant can fail is not a test): %s",
			len(missing), len(p.suite.Cases), strings.Join(missing, " "))
	}
	ids := make([]string, 0, len(p.caught))
	for id := range p.caught {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t.Logf("%-16s caught by %s", id, strings.Join(p.caught[id], ", "))
	}
}

func inProfile(s *conformance.Suite, id, profile string) bool {
	for _, c := range s.Cases {
		if c.ID == id {
			return len(c.Profiles) == 0 || slices.Contains(c.Profiles, profile)
		}
	}
	panic(fmt.Sprintf("conformancetest: case %s not in suite", id))
}
