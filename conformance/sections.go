package conformance

import (
	"fmt"
	"io"

	"github.com/appwire/appwire/docs"
)

// Reference returns the section of the protocol reference (docs/protocols)
// that the case with this ID checks: "afb/3.5/1" is section 3.5 of
// docs/protocols/afb.md.
func Reference(id string) (docs.Section, bool) { return docs.Lookup(id) }

// SectionTitle returns the title of the reference section the case
// checks ("ack" for "simplepush/3.5/2"), or "" when no reference has it.
func (c *Case) SectionTitle() string {
	s, _ := docs.Lookup(c.ID)
	return s.Title
}

// SectionTitle returns the title of the reference section the result's
// case checks, or "" when no reference has it.
func (r *Result) SectionTitle() string {
	s, _ := docs.Lookup(r.ID)
	return s.Title
}

// sectionTitle is the heading reports print for a result's section: the
// reference's title, else the one the caller passed (Suite.Sections).
func sectionTitle(r *Result, fallback map[string]string) string {
	if t := r.SectionTitle(); t != "" {
		return t
	}
	return fallback[r.Section]
}

// writeSectionLine writes, under a failure, the reference section the case
// checks and the file to read it in. Cases of protocols without a
// reference under docs/protocols get no such line.
func writeSectionLine(w io.Writer, r *Result) {
	if s, ok := docs.Lookup(r.ID); ok {
		fmt.Fprintf(w, "    § %s %s (%s)\n", s.Number, s.Title, s.File)
	}
}
