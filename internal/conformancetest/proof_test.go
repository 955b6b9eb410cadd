package conformancetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/appwire/appwire/conformance"
)

// recorder is a testing.TB that keeps failures instead of failing, so the
// proof's own verdicts can be asserted.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Helper()             {}

// A toy protocol: the target URL names its behaviour ("good", "no-a", ...).
func toySuite() *conformance.Suite {
	check := func(feature string) func(context.Context, *conformance.T) {
		return func(ctx context.Context, t *conformance.T) {
			if strings.Contains(t.URL(), "no-"+feature) {
				t.Failf(feature+" works", "%s broken", feature)
			}
		}
	}
	return &conformance.Suite{Name: "toy", Cases: []conformance.Case{
		{ID: "toy/1/1", Title: "a", Level: conformance.Must, Requirement: "a", Run: check("a")},
		{ID: "toy/1/2", Title: "b", Level: conformance.Should, Requirement: "b", Run: check("b")},
		{ID: "toy/1/3", Title: "c", Level: conformance.Must, Requirement: "c", Run: check("c")},
	}}
}

func TestProofVerdicts(t *testing.T) {
	t.Run("complete", func(t *testing.T) {
		rec := &recorder{TB: t}
		p := newProof(rec, toySuite(), conformance.Runner{})
		p.reference(rec, "", conformance.Target{URL: "good"})
		p.mutant(rec, "no-a", "", conformance.Target{URL: "no-a"})
		p.mutant(rec, "no-b-c", "", conformance.Target{URL: "no-b no-c"})
		p.done(rec)
		if len(rec.errors) != 0 {
			t.Fatalf("complete proof reported: %q", rec.errors)
		}
	})
	t.Run("gaps", func(t *testing.T) {
		rec := &recorder{TB: t}
		p := newProof(rec, toySuite(), conformance.Runner{})
		p.reference(rec, "", conformance.Target{URL: "good no-c"}) // reference is broken
		p.mutant(rec, "no-a", "", conformance.Target{URL: "no-a"})
		p.mutant(rec, "harmless", "", conformance.Target{URL: "fine"}) // survives
		p.done(rec)
		all := strings.Join(rec.errors, "\n")
		for _, want := range []string{
			"reference (profile \"\"): toy/1/3 is FAIL",
			`mutant "harmless" (profile "") survived`,
			"2 of 3 cases are caught by no mutant",
		} {
			if !strings.Contains(all, want) {
				t.Errorf("missing report %q in:\n%s", want, all)
			}
		}
	})
}

// TestProve runs the whole harness on the toy suite: every reference and
// mutant in its own subtest, mutants started by their Start, -short
// keeping only the Short ones.
func TestProve(t *testing.T) {
	var mu sync.Mutex
	started := map[string]int{}
	mutant := func(name string, short bool) Mutant {
		return Mutant{Name: name, Short: short, Start: func(t *testing.T) conformance.Target {
			mu.Lock()
			started[name]++
			mu.Unlock()
			return conformance.Target{URL: name}
		}}
	}
	Prove(t, toySuite(), conformance.Runner{Parallel: 2},
		func(t *testing.T, profile string) conformance.Target { return conformance.Target{URL: "good"} },
		[]Mutant{mutant("no-a", true), mutant("no-b no-c", false)})
	if started["no-a"] != 1 {
		t.Errorf("short mutant started %d times, want 1", started["no-a"])
	}
	if want := map[bool]int{true: 0, false: 1}[testing.Short()]; started["no-b no-c"] != want {
		t.Errorf("long mutant started %d times, want %d (short=%v)", started["no-b no-c"], want, testing.Short())
	}
}
