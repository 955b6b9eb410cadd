package main

import (
	"slices"
	"testing"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/docs"
)

// TestEveryCaseHasAReference: every case ID of every suite the CLI
// registers names a numbered section of docs/protocols/<suite>.md, so a
// user who sees a failing case can read the requirement (the reports print
// the section title from there); and the cases and profiles the
// references name after "Checked by:" exist in that suite, so the
// references cannot drift from the suites unnoticed.
func TestEveryCaseHasAReference(t *testing.T) {
	if err := docs.Check(); err != nil {
		t.Fatalf("the references break their convention: %v", err)
	}
	for _, p := range protocols() {
		s := p.suite()
		ref, ok := docs.Reference(s.Name)
		if !ok {
			t.Errorf("suite %s: no docs/protocols/%s.md", s.Name, s.Name)
			continue
		}
		ids := map[string]bool{}
		for _, c := range s.Cases {
			ids[c.ID] = true
			sec, ok := docs.Lookup(c.ID)
			if !ok {
				t.Errorf("%s: section %q is not in %s", c.ID, c.Section(), ref.File)
				continue
			}
			if sec.Title == "" || c.SectionTitle() != sec.Title {
				t.Errorf("%s: section title %q, reference %q", c.ID, c.SectionTitle(), sec.Title)
			}
		}
		for _, sec := range ref.Sections {
			for _, ch := range sec.Checked {
				if !ids[ch.ID] {
					t.Errorf("%s:%d: section %s names %s, which suite %s does not have", sec.File, sec.Line, sec.Number, ch.ID, s.Name)
				}
				for _, prof := range ch.Profiles {
					if !s.HasProfile(prof) {
						t.Errorf("%s:%d: %s is said to run under profile %q, which suite %s does not have", sec.File, sec.Line, ch.ID, prof, s.Name)
					}
				}
			}
		}
	}
}

// TestDisputedMustCasesAreScoped: a MUST case that a reference names as
// checking a point where upstreams disagree runs under exactly the
// profiles the reference gives it ("(all)": unscoped), so that a profile
// named after an upstream never asserts what that upstream does not do.
// Cases of the same section that check agreed behaviour are not named and
// not concerned.
func TestDisputedMustCasesAreScoped(t *testing.T) {
	for _, p := range protocols() {
		s := p.suite()
		ref, ok := docs.Reference(s.Name)
		if !ok {
			continue
		}
		byID := map[string]*conformance.Case{}
		for i := range s.Cases {
			byID[s.Cases[i].ID] = &s.Cases[i]
		}
		for _, sec := range ref.Sections {
			for _, ch := range sec.Checked {
				c := byID[ch.ID]
				if c == nil || c.Level != conformance.Must {
					continue
				}
				if !sameSet(c.Profiles, ch.Profiles) {
					t.Errorf("%s (MUST) runs under %v, but %s:%d says %v", c.ID, orAll(c.Profiles), sec.File, sec.Line, orAll(ch.Profiles))
				}
			}
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func orAll(p []string) []string {
	if len(p) == 0 {
		return []string{"all"}
	}
	return p
}
