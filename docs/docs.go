// Package docs carries the project's protocol references (docs/protocols/*.md)
// inside the binary, and resolves a conformance case ID to the numbered
// section it checks.
//
// Start here: [Lookup] takes a case ID such as "simplepush/3.5/2" and returns
// the [Section] "3.5 ack" of docs/protocols/simplepush.md, with its text and
// whether upstream implementations disagree there. [Reference] returns a
// whole parsed reference, [Protocols] lists them, and [Check] reports every
// place where a reference breaks the heading convention written down in
// docs/protocols/README.md.
package docs

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:embed protocols/*.md
var files embed.FS

// DisagreeMarker is the literal that marks a point where upstream
// implementations disagree on the wire.
const DisagreeMarker = "[DISAGREE]"

// Section is one numbered section of a protocol reference.
type Section struct {
	// Protocol is the reference's key: the file name without ".md" and
	// the first part of every case ID that names this section.
	Protocol string
	// Number is the dotted section number ("3.5", "4").
	Number string
	// Title is the heading text after the number ("ack").
	Title string
	// Text is the section's own text, up to the next numbered heading,
	// trimmed.
	Text string
	// Disagree is set when the text carries DisagreeMarker.
	Disagree bool
	// Disputes holds each bullet or paragraph that carries the marker.
	Disputes []string
	// Checked lists the cases the disputes name after "Checked by:", with
	// the profiles each must be scoped to.
	Checked []Checked
	// File is the reference's path from the module root
	// ("docs/protocols/simplepush.md").
	File string
	// Line is the 1-based line of the section's heading in File.
	Line int
}

// Checked is one case named by a dispute ("Checked by: simplepush/3.5/2
// (autopush)"): the case checks the disputed point, so it must run under
// exactly these profiles. No profiles ("(all)") means every profiled
// upstream agrees on what the case asks (the dispute is with an upstream
// that has no profile, or the case is not a MUST), so it is not scoped.
type Checked struct {
	ID       string
	Profiles []string
}

// Heading returns the section number and title as the reference writes
// them: "3.5 ack".
func (s Section) Heading() string { return s.Number + " " + s.Title }

// Ref returns "protocol §number", the short form used in reports.
func (s Section) Ref() string { return s.Protocol + " §" + s.Number }

// Doc is one parsed protocol reference.
type Doc struct {
	Protocol string
	Title    string
	File     string
	// Sections in document order.
	Sections []Section
}

// Section returns the section with the given number.
func (d *Doc) Section(number string) (Section, bool) {
	for _, s := range d.Sections {
		if s.Number == number {
			return s, true
		}
	}
	return Section{}, false
}

// ConventionError is one place where a reference breaks the heading
// convention.
type ConventionError struct {
	File   string
	Line   int
	Reason string
}

func (e *ConventionError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// ErrConvention is matched (errors.Is) by every *ConventionError.
var ErrConvention = errors.New("docs: reference breaks the heading convention")

// Is reports whether target is ErrConvention.
func (e *ConventionError) Is(target error) bool { return target == ErrConvention }

// the embedded references, parsed once.
var parsed = sync.OnceValues(func() (map[string]*Doc, error) {
	return parseFS(files, "protocols")
})

func parseFS(fsys fs.FS, dir string) (map[string]*Doc, error) {
	names, err := fs.Glob(fsys, dir+"/*.md")
	if err != nil {
		return nil, err
	}
	docs := map[string]*Doc{}
	var errs []error
	for _, name := range names {
		base := path.Base(name)
		if base == "README.md" {
			continue
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d, err := Parse(strings.TrimSuffix(base, ".md"), src)
		errs = append(errs, err)
		docs[d.Protocol] = d
	}
	return docs, errors.Join(errs...)
}

// Check parses every embedded reference and returns the convention
// violations found (nil when every file follows the convention).
func Check() error {
	_, err := parsed()
	return err
}

// Protocols returns the keys of the embedded references, sorted.
func Protocols() []string {
	docs, _ := parsed()
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Reference returns the parsed reference of a protocol. Sections that
// break the convention are still returned when they could be read.
func Reference(protocol string) (*Doc, bool) {
	docs, _ := parsed()
	d, ok := docs[protocol]
	return d, ok
}

// LookupSection returns section number of protocol's reference.
func LookupSection(protocol, number string) (Section, bool) {
	d, ok := Reference(protocol)
	if !ok {
		return Section{}, false
	}
	return d.Section(number)
}

// Lookup resolves a case ID "protocol/section/n" to the section it checks.
// A section reference "protocol/section" (no case number) is accepted too.
func Lookup(caseID string) (Section, bool) {
	parts := strings.Split(caseID, "/")
	switch len(parts) {
	case 2, 3:
		return LookupSection(parts[0], parts[1])
	}
	return Section{}, false
}

// Parse reads one reference. protocol is its key (the file name without
// ".md"). The returned Doc holds every section that could be read; the
// error joins one *ConventionError per violation.
func Parse(protocol string, src []byte) (*Doc, error) {
	file := "docs/protocols/" + protocol + ".md"
	d := &Doc{Protocol: protocol, File: file}
	var errs []error
	bad := func(line int, format string, args ...any) {
		errs = append(errs, &ConventionError{File: file, Line: line, Reason: fmt.Sprintf(format, args...)})
	}
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	var (
		cur      *Section // section whose text is being collected
		curDepth int
		body     []string
		seen     = map[string]bool{}
		last     []int // number of the previous section
		fence    string
	)
	flush := func() {
		if cur != nil {
			cur.Text = strings.TrimSpace(strings.Join(body, "\n"))
			cur.Disputes = disputes(body)
			cur.Disagree = len(cur.Disputes) > 0
			for _, d := range cur.Disputes {
				cur.Checked = append(cur.Checked, checks(d)...)
			}
			d.Sections = append(d.Sections, *cur)
		}
		cur, body = nil, nil
	}
	for i, line := range lines {
		n := i + 1
		if f := fenceOf(line); f != "" {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(strings.TrimSpace(line), fence):
				fence = ""
			}
			body = append(body, line)
			continue
		}
		if fence != "" {
			body = append(body, line)
			continue
		}
		depth := headingDepth(line)
		if depth == 0 {
			body = append(body, line)
			continue
		}
		text := strings.TrimSpace(line[depth:])
		if depth == 1 {
			if n != 1 {
				bad(n, "a second title (only line 1 starts with a single #)")
			} else {
				d.Title = text
			}
			continue
		}
		num, title, numbered := splitNumber(text)
		if !numbered {
			if cur != nil && depth > curDepth {
				body = append(body, line) // a sub-heading inside the section
				continue
			}
			flush()
			continue
		}
		flush()
		comps, err := parseNumber(num)
		switch {
		case err != nil:
			bad(n, "section number %q: %v", num, err)
		case depth != len(comps)+1:
			bad(n, "section %s has %d components, so its heading needs %d #, not %d", num, len(comps), len(comps)+1, depth)
		case seen[num]:
			bad(n, "section %s appears twice", num)
		case len(comps) > 1 && !seen[joinNumber(comps[:len(comps)-1])]:
			bad(n, "section %s comes before its parent %s", num, joinNumber(comps[:len(comps)-1]))
		case last != nil && compareNumbers(comps, last) <= 0:
			bad(n, "section %s follows %s: numbers must go up", num, joinNumber(last))
		}
		if title == "" {
			bad(n, "section %s has no title", num)
		}
		if err == nil {
			last = comps
		}
		seen[num] = true
		cur = &Section{Protocol: protocol, Number: num, Title: title, File: file, Line: n}
		curDepth = depth
	}
	flush()
	if d.Title == "" {
		bad(1, "the first line must be the title (# ...)")
	}
	if fence != "" {
		bad(len(lines), "unclosed code fence")
	}
	return d, errors.Join(errs...)
}

// fenceOf returns the fence ("```" or "~~~") that line opens or closes.
func fenceOf(line string) string {
	t := strings.TrimSpace(line)
	for _, f := range []string{"```", "~~~"} {
		if strings.HasPrefix(t, f) {
			return f
		}
	}
	return ""
}

// headingDepth returns the ATX heading level of line, 0 when it is not a
// heading.
func headingDepth(line string) int {
	n := 0
	for n < len(line) && line[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n == len(line) || line[n] != ' ' {
		return 0
	}
	return n
}

// splitNumber splits "3.5 ack" into "3.5" and "ack". A heading whose first
// word does not start with a digit is not numbered.
func splitNumber(text string) (num, title string, ok bool) {
	if text == "" || text[0] < '0' || text[0] > '9' {
		return "", "", false
	}
	num, title, _ = strings.Cut(text, " ")
	return num, strings.TrimSpace(title), true
}

func parseNumber(num string) ([]int, error) {
	if strings.HasSuffix(num, ".") {
		return nil, errors.New("trailing dot")
	}
	var out []int
	for _, p := range strings.Split(num, ".") {
		if p == "" || (len(p) > 1 && p[0] == '0') {
			return nil, errors.New("empty component or leading zero")
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return nil, errors.New("components must be decimal numbers")
		}
		out = append(out, v)
	}
	return out, nil
}

func joinNumber(comps []int) string {
	s := make([]string, len(comps))
	for i, c := range comps {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ".")
}

func compareNumbers(a, b []int) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] - b[i]
		}
	}
	return len(a) - len(b)
}

// disputes returns every bullet or paragraph of body that carries the
// marker outside code (fenced blocks and `inline code`).
func disputes(body []string) []string {
	var (
		out   []string
		block []string
		fence bool
	)
	end := func() {
		if len(block) > 0 {
			text := strings.Join(block, "\n")
			if strings.Contains(stripInlineCode(text), DisagreeMarker) {
				out = append(out, strings.TrimSpace(text))
			}
		}
		block = nil
	}
	for _, line := range body {
		if fenceOf(line) != "" {
			end()
			fence = !fence
			continue
		}
		if fence {
			continue
		}
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			end()
		case isBulletStart(t) && !strings.HasPrefix(line, "  "):
			// A top-level bullet starts a new block; nested bullets
			// stay with their parent.
			end()
			block = append(block, line)
		default:
			block = append(block, line)
		}
	}
	end()
	return out
}

func isBulletStart(t string) bool {
	if strings.HasPrefix(t, "* ") || strings.HasPrefix(t, "- ") {
		return true
	}
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(t) && t[i] == '.' && t[i+1] == ' '
}

func stripInlineCode(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		if r == '`' {
			in = !in
			continue
		}
		if !in {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CheckedBy introduces the list of cases in a dispute.
const CheckedBy = "Checked by:"

var checkRE = regexp.MustCompile(`([a-z][a-z0-9-]*/[0-9][0-9.]*/[0-9]+)(?:\s*\(([^)]*)\))?`)

// checks parses the "Checked by:" list of one dispute.
func checks(dispute string) []Checked {
	// The list may wrap anywhere, "Checked by:" included.
	_, list, ok := strings.Cut(strings.Join(strings.Fields(dispute), " "), CheckedBy)
	if !ok {
		return nil
	}
	var out []Checked
	for _, m := range checkRE.FindAllStringSubmatch(list, -1) {
		c := Checked{ID: m[1]}
		for _, p := range strings.Split(m[2], ",") {
			if p = strings.TrimSpace(p); p != "" && p != "all" {
				c.Profiles = append(c.Profiles, p)
			}
		}
		out = append(out, c)
	}
	return out
}
