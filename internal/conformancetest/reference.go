package conformancetest

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/docs"
)

// CheckReference checks suite s against its protocol reference in
// docs/protocols: profiles are facts, so where the reference marks that
// upstreams disagree ([DISAGREE]), the suite's scopes must say the same.
//
//   - every case ID names a section of the reference;
//   - every case a dispute lists after "Checked by:" exists, is in that
//     section, and runs under exactly the profiles listed ("(all)": not
//     scoped, or scoped to every profile), so that a case checking a
//     disputed point never claims of an upstream what it does not do.
//
// Cases of a disputed section that check what every upstream agrees on
// are not listed and need no scope (docs/protocols/README.md, rule 6).
func CheckReference(t testing.TB, s *conformance.Suite) {
	t.Helper()
	ref, ok := docs.Reference(s.Name)
	if !ok {
		t.Fatalf("no protocol reference docs/protocols/%s.md for suite %s", s.Name, s.Name)
	}
	byID := map[string]*conformance.Case{}
	for i := range s.Cases {
		byID[s.Cases[i].ID] = &s.Cases[i]
	}
	var all []string
	for _, p := range s.Profiles {
		all = append(all, p.Name)
	}
	sort.Strings(all)
	for i := range s.Cases {
		c := &s.Cases[i]
		if _, ok := ref.Section(c.Section()); !ok {
			t.Errorf("%s: section %s is not in %s", c.ID, c.Section(), ref.File)
		}
	}
	for _, sec := range ref.Sections {
		if !sec.Disagree {
			continue
		}
		for _, ch := range sec.Checked {
			c := byID[ch.ID]
			switch {
			case c == nil:
				t.Errorf("%s:%d (§%s) lists %s, which suite %s does not have", sec.File, sec.Line, sec.Number, ch.ID, s.Name)
				continue
			case c.Section() != sec.Number:
				t.Errorf("%s:%d (§%s) lists %s, a case of section %s", sec.File, sec.Line, sec.Number, ch.ID, c.Section())
			}
			want := slices.Sorted(slices.Values(ch.Profiles))
			got := slices.Sorted(slices.Values(c.Profiles))
			if len(want) == 0 {
				if len(got) != 0 && !slices.Equal(got, all) {
					t.Errorf("%s runs under profiles %s, but %s:%d (§%s) says every profiled upstream agrees (all)",
						c.ID, strings.Join(got, ", "), sec.File, sec.Line, sec.Number)
				}
				continue
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s runs under profiles %s, but %s:%d (§%s) says the upstreams that do what it asks are: %s",
					c.ID, orAll(got), sec.File, sec.Line, sec.Number, strings.Join(want, ", "))
			}
		}
	}
}

func orAll(p []string) string {
	if len(p) == 0 {
		return "(all)"
	}
	return strings.Join(p, ", ")
}
