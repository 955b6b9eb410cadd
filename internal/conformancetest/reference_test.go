package conformancetest

import (
	"context"
	"strings"
	"testing"

	"github.com/appwire/appwire/conformance"
)

// TestCheckReference: a suite whose scopes contradict the reference's
// disputes is reported, case by case; one that agrees is not.
func TestCheckReference(t *testing.T) {
	run := func(context.Context, *conformance.T) {}
	suite := func(cases ...conformance.Case) *conformance.Suite {
		for i := range cases {
			cases[i].Title, cases[i].Requirement, cases[i].Run = "t", "r", run
		}
		return &conformance.Suite{Name: "simplepush", Cases: cases,
			Profiles: []conformance.Profile{{Name: "appwire"}, {Name: "pushgo"}, {Name: "autopush"}}}
	}
	must := conformance.Must
	// docs/protocols/simplepush.md §3.5: "Checked by: simplepush/3.5/2
	// (autopush, appwire)" and "simplepush/3.5/3 (pushgo)".
	good := suite(
		conformance.Case{ID: "simplepush/3.5/2", Level: must, Profiles: []string{"autopush", "appwire"}},
		conformance.Case{ID: "simplepush/3.5/3", Level: must, Profiles: []string{"pushgo"}},
		conformance.Case{ID: "simplepush/3.5/5", Level: must, Profiles: []string{"pushgo", "appwire"}},
		conformance.Case{ID: "simplepush/3.5/6", Level: must, Profiles: []string{"autopush"}},
	)
	rec := &recorder{TB: t}
	CheckReference(rec, good)
	var others []string
	for _, e := range rec.errors {
		if !strings.Contains(e, "does not have") {
			others = append(others, e)
		}
	}
	if len(others) != 0 {
		t.Errorf("a suite that agrees with §3.5 is reported: %q", others)
	}

	bad := suite(
		conformance.Case{ID: "simplepush/3.5/2", Level: must},                                 // asserted of pushgo too
		conformance.Case{ID: "simplepush/3.5/3", Level: must, Profiles: []string{"autopush"}}, // the wrong upstream
		conformance.Case{ID: "simplepush/99/1", Level: must},                                  // no such section
	)
	rec = &recorder{TB: t}
	CheckReference(rec, bad)
	all := strings.Join(rec.errors, "\n")
	for _, want := range []string{
		"simplepush/3.5/2 runs under profiles (all), but docs/protocols/simplepush.md",
		"says the upstreams that do what it asks are: appwire, autopush",
		"simplepush/3.5/3 runs under profiles autopush",
		"simplepush/99/1: section 99 is not in docs/protocols/simplepush.md",
		"lists simplepush/3.5/5, which suite simplepush does not have",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing report %q in:\n%s", want, all)
		}
	}
}
