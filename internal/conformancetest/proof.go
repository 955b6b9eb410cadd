// Package conformancetest proves that a conformance suite is a real test:
// the reference implementation passes every case, every case fails against
// at least one deliberately broken implementation (a mutant), and every
// mutant is caught by at least one case.
//
// Mutants live in test code, as wrappers or unexported options around the
// reference servers, never as public knobs of the production servers.
package conformancetest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/appwire/appwire/conformance"
)

// Proof collects the runs of one suite against a reference target and its
// mutants. Call Reference and Mutant as often as needed (once per profile,
// once per mutant), then Done.
type Proof struct {
	t      testing.TB
	suite  *conformance.Suite
	runner conformance.Runner
	caught map[string][]string // case ID -> mutants that failed it
	ranRef map[string]bool     // case IDs run against a reference
}

// New starts a proof for suite s. The runner's Timeout and Parallel are
// used for every run; Strict is forced on so SHOULD cases are proven too,
// and Only and Profile are set per run.
func New(t testing.TB, s *conformance.Suite, r conformance.Runner) *Proof {
	r.Strict = true
	r.Only = nil
	r.Progress = nil
	return &Proof{t: t, suite: s, runner: r, caught: map[string][]string{}, ranRef: map[string]bool{}}
}

func (p *Proof) run(profile string, target conformance.Target) *conformance.Report {
	p.t.Helper()
	r := p.runner
	r.Profile = profile
	rep, err := r.Run(context.Background(), p.suite, target)
	if err != nil {
		p.t.Fatalf("conformancetest: %v", err)
	}
	return rep
}

// Reference runs the suite against a correct implementation under profile:
// every case in the profile must pass.
func (p *Proof) Reference(profile string, target conformance.Target) *conformance.Report {
	p.t.Helper()
	rep := p.run(profile, target)
	for _, r := range rep.Results {
		if r.Verdict == conformance.Skip && !inProfile(p.suite, r.ID, rep.Profile) {
			continue
		}
		p.ranRef[r.ID] = true
		if r.Verdict != conformance.Pass {
			var b strings.Builder
			_ = conformance.WriteText(&b, &conformance.Report{Title: rep.Title, Target: rep.Target,
				Profile: rep.Profile, Results: []conformance.Result{r}}, conformance.TextOptions{})
			p.t.Errorf("reference (profile %q): %s is %v, want PASS:\n%s", rep.Profile, r.ID, r.Verdict, b.String())
		}
	}
	return rep
}

// Mutant runs the suite against a broken implementation under profile and
// records which cases fail. A mutant that no case fails is reported as a
// gap in the suite.
func (p *Proof) Mutant(name, profile string, target conformance.Target) *conformance.Report {
	p.t.Helper()
	rep := p.run(profile, target)
	var failed []string
	for _, r := range rep.Results {
		if r.Verdict == conformance.Fail {
			failed = append(failed, r.ID)
			if !slices.Contains(p.caught[r.ID], name) {
				p.caught[r.ID] = append(p.caught[r.ID], name)
			}
		}
	}
	if len(failed) == 0 {
		p.t.Errorf("mutant %q (profile %q) survived: no case of suite %s fails against it", name, rep.Profile, p.suite.Name)
	} else {
		p.t.Logf("mutant %-28s caught by %s", name, strings.Join(failed, " "))
	}
	return rep
}

// Done checks that every case of the suite was caught by at least one
// mutant and that every case ran against a reference.
func (p *Proof) Done() {
	p.t.Helper()
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
		p.t.Errorf("cases never run against a reference: %s", strings.Join(notRun, " "))
	}
	if len(missing) > 0 {
		p.t.Errorf("%d of %d cases are caught by no mutant (a case no mutant can fail is not a test): %s",
			len(missing), len(p.suite.Cases), strings.Join(missing, " "))
	}
	ids := make([]string, 0, len(p.caught))
	for id := range p.caught {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p.t.Logf("%-16s caught by %s", id, strings.Join(p.caught[id], ", "))
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
