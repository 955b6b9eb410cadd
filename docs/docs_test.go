package docs

import (
	"errors"
	"strings"
	"testing"
)

func TestReferencesFollowConvention(t *testing.T) {
	if err := Check(); err != nil {
		t.Fatalf("a reference breaks the convention of docs/protocols/README.md:\n%v", err)
	}
	for _, p := range Protocols() {
		d, _ := Reference(p)
		if len(d.Sections) == 0 {
			t.Errorf("%s: no numbered section", d.File)
		}
		for _, s := range d.Sections {
			if s.Text == "" {
				t.Errorf("%s:%d: section %s has no text", s.File, s.Line, s.Number)
			}
			if strings.Contains(s.Text, "/work/") || strings.Contains(s.Text, "../shared") {
				t.Errorf("%s:%d: section %s points outside the repository", s.File, s.Line, s.Number)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	s, ok := Lookup("simplepush/3.5/2")
	if !ok {
		t.Fatal("simplepush/3.5/2 does not resolve")
	}
	if s.Protocol != "simplepush" || s.Number != "3.5" || s.Title != "ack" || s.File != "docs/protocols/simplepush.md" {
		t.Errorf("got %+v", s)
	}
	if !s.Disagree || len(s.Disputes) == 0 || !strings.Contains(s.Disputes[0], DisagreeMarker) {
		t.Errorf("3.5 should carry a dispute: %+v", s.Disputes)
	}
	if s2, ok := Lookup("simplepush/3.5"); !ok || s2.Number != "3.5" {
		t.Errorf("a section reference should resolve too: %+v %v", s2, ok)
	}
	// A case of section 3.2.1 is not a case of 3.2 or 3.
	if s, ok := Lookup("httpipc/3.2.1/4"); !ok || s.Title != "HELLO and settings" {
		t.Errorf("httpipc/3.2.1/4: %+v %v", s, ok)
	}
	for _, id := range []string{"", "afb", "afb/9.9/1", "nope/1/1", "afb/1.1/1/2", "afb//1"} {
		if s, ok := Lookup(id); ok {
			t.Errorf("Lookup(%q) = %+v, want no section", id, s)
		}
	}
}

const sample = "# Title\n\nintro\n\n## Front matter\n\nnot a section\n\n" +
	"## 1 One\n\none text\n\n### 1.1 Sub\n\n* plain bullet\n* [DISAGREE] a: does x;\n  b: does y.\n\n" +
	"#### Example\n\n```\n## 9 not a heading in code\n[DISAGREE] in code\n```\n\n" +
	"Paragraph with `[DISAGREE]` in code only.\n\n" +
	"### 1.2 Two words\n\n[DISAGREE] a paragraph\ndispute.\n\n## Appendix\n\nbelongs to nobody\n"

func TestParse(t *testing.T) {
	d, err := Parse("x", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Title" || len(d.Sections) != 3 {
		t.Fatalf("title %q, %d sections: %+v", d.Title, len(d.Sections), d.Sections)
	}
	one, sub, two := d.Sections[0], d.Sections[1], d.Sections[2]
	if one.Number != "1" || one.Title != "One" || one.Text != "one text" || one.Disagree || one.Line != 9 {
		t.Errorf("section 1: %+v", one)
	}
	if sub.Number != "1.1" || !strings.Contains(sub.Text, "#### Example") || !strings.Contains(sub.Text, "## 9 not") {
		t.Errorf("section 1.1 keeps its sub-heading and code: %q", sub.Text)
	}
	if want := []string{"* [DISAGREE] a: does x;\n  b: does y."}; !equal(sub.Disputes, want) {
		t.Errorf("1.1 disputes %q, want %q", sub.Disputes, want)
	}
	if two.Title != "Two words" || strings.Contains(two.Text, "nobody") {
		t.Errorf("section 1.2: %+v", two)
	}
	if want := []string{"[DISAGREE] a paragraph\ndispute."}; !equal(two.Disputes, want) {
		t.Errorf("1.2 disputes %q, want %q", two.Disputes, want)
	}
	if two.Heading() != "1.2 Two words" || two.Ref() != "x §1.2" {
		t.Errorf("Heading %q Ref %q", two.Heading(), two.Ref())
	}
}

func TestParseRejectsBrokenConvention(t *testing.T) {
	for name, src := range map[string]string{
		"no title":         "## 1 One\ntext\n",
		"second title":     "# T\n## 1 One\n# T2\n",
		"trailing dot":     "# T\n## 1. One\ntext\n",
		"wrong depth":      "# T\n## 1 One\n## 1.1 Sub\n",
		"missing parent":   "# T\n## 1 One\n#### 1.2.1 Deep\n",
		"not increasing":   "# T\n## 2 Two\n## 1 One\n",
		"duplicate":        "# T\n## 1 One\n## 1 Again\n",
		"leading zero":     "# T\n## 01 One\n",
		"no section title": "# T\n## 1\n",
		"unclosed fence":   "# T\n## 1 One\n```\ncode\n",
	} {
		_, err := Parse("x", []byte(src))
		var ce *ConventionError
		if !errors.Is(err, ErrConvention) || !errors.As(err, &ce) || ce.File != "docs/protocols/x.md" || ce.Line < 1 {
			t.Errorf("%s: err = %v, want a *ConventionError", name, err)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDisputesNameTheirCases: every dispute of a reference names, after
// "Checked by:", only cases of its own section, and a section's checks
// name each case once.
func TestDisputesNameTheirCases(t *testing.T) {
	for _, p := range Protocols() {
		d, _ := Reference(p)
		for _, s := range d.Sections {
			seen := map[string]bool{}
			for _, c := range s.Checked {
				parts := strings.Split(c.ID, "/")
				if len(parts) != 3 || parts[0] != p || parts[1] != s.Number {
					t.Errorf("%s:%d: section %s names %s, a case of another section", s.File, s.Line, s.Number, c.ID)
				}
				if seen[c.ID] {
					t.Errorf("%s:%d: %s named twice", s.File, s.Line, c.ID)
				}
				seen[c.ID] = true
			}
			for _, dis := range s.Disputes {
				if !strings.HasPrefix(strings.TrimLeft(dis, "*-0123456789. "), DisagreeMarker) {
					t.Errorf("%s:%d: a dispute must start with %s: %q", s.File, s.Line, DisagreeMarker, dis)
				}
				// A dispute that names cases does so in a list that parses.
				if checkRE.MatchString(dis) && len(checks(dis)) == 0 {
					t.Errorf("%s:%d: a dispute names cases outside a %q list: %q", s.File, s.Line, CheckedBy, dis)
				}
			}
		}
	}
}

func TestChecksParse(t *testing.T) {
	got := checks("* [DISAGREE] x. Checked\n  by: a/1.2/3 (p,\n  q), a/1.2/4 (all),\n  a/1.2/10.")
	want := []Checked{{"a/1.2/3", []string{"p", "q"}}, {"a/1.2/4", nil}, {"a/1.2/10", nil}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].ID != want[i].ID || !equal(got[i].Profiles, want[i].Profiles) {
			t.Errorf("check %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if c := checks("[DISAGREE] no list, though a/1/1 is mentioned"); c != nil {
		t.Errorf("no Checked by: got %+v", c)
	}
}
