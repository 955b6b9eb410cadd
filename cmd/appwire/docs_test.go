package main

import (
	"testing"

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
