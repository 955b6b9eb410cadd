package conformancetest

import (
	"context"
	"fmt"
	"strings"
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

func TestProof(t *testing.T) {
	t.Run("complete", func(t *testing.T) {
		rec := &recorder{TB: t}
		p := New(rec, toySuite(), conformance.Runner{})
		p.Reference("", conformance.Target{URL: "good"})
		p.Mutant("no-a", "", conformance.Target{URL: "no-a"})
		p.Mutant("no-b-c", "", conformance.Target{URL: "no-b no-c"})
		p.Done()
		if len(rec.errors) != 0 {
			t.Fatalf("complete proof reported: %q", rec.errors)
		}
	})
	t.Run("gaps", func(t *testing.T) {
		rec := &recorder{TB: t}
		p := New(rec, toySuite(), conformance.Runner{})
		p.Reference("", conformance.Target{URL: "good no-c"}) // reference is broken
		p.Mutant("no-a", "", conformance.Target{URL: "no-a"})
		p.Mutant("harmless", "", conformance.Target{URL: "fine"}) // survives
		p.Done()
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
