package conformance

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/appwire/appwire/docs"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var htmlTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"ms": func(d time.Duration) string {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	},
	"secs": func(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) },
	"wireAt": func(d time.Duration) string {
		return d.Round(time.Millisecond).String()
	},
}).ParseFS(templateFS, "templates/*.tmpl"))

// HTMLOptions tune the HTML report.
type HTMLOptions struct {
	// Title heads the index page; empty means "Conformance report".
	Title string
	// Labels, when set, names the columns: Labels[i] is shown above the
	// target of reports[i] (for example the JSON file it was read from).
	Labels []string
	// Generated is the time printed on the pages; zero means now.
	Generated time.Time
}

// WriteHTML writes an HTML report of reports into dir, creating it when
// needed: index.html, a grid in the manner of the Autobahn testsuite with
// one table per suite, one column per report (target and profile) and one
// row per case, grouped by the sections of the protocol reference; and
// cases/<id>.html, a page per case with the requirement, the reference
// section, and for each column the verdict, expected and actual behaviour
// and the frames exchanged. The folder is self-contained: no script, no
// external style sheet, no link outside it. Everything that came from a
// target is escaped.
func WriteHTML(dir string, reports []*Report, o HTMLOptions) error {
	if len(reports) == 0 {
		return errors.New("conformance: no report to write")
	}
	if o.Title == "" {
		o.Title = "Conformance report"
	}
	if o.Generated.IsZero() {
		o.Generated = time.Now()
	}
	idx := buildIndex(reports, o)
	if err := os.MkdirAll(filepath.Join(dir, "cases"), 0o755); err != nil {
		return err
	}
	if err := writeTemplate(filepath.Join(dir, "index.html"), "index.html.tmpl", idx); err != nil {
		return err
	}
	for _, s := range idx.Suites {
		for _, sec := range s.Sections {
			for _, row := range sec.Rows {
				if err := writeTemplate(filepath.Join(dir, "cases", row.File), "case.html.tmpl", row.page(idx, s, sec)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func writeTemplate(path, name string, data any) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := htmlTemplates.ExecuteTemplate(fh, name, data); err != nil {
		fh.Close()
		return fmt.Errorf("conformance: rendering %s: %w", filepath.Base(path), err)
	}
	return fh.Close()
}

// ReadJSON reads a document written by WriteJSON and returns its reports.
func ReadJSON(r io.Reader) ([]*Report, error) {
	var doc struct {
		Reports []*Report `json:"reports"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("conformance: reading a JSON report: %w", err)
	}
	if len(doc.Reports) == 0 {
		return nil, errors.New(`conformance: reading a JSON report: no "reports"`)
	}
	for i, rep := range doc.Reports {
		if rep == nil || rep.Suite == "" {
			return nil, fmt.Errorf("conformance: reading a JSON report: report %d has no suite", i)
		}
	}
	return doc.Reports, nil
}

// The page models. Field names are what the templates use.

type htmlIndex struct {
	Title     string
	Generated string
	Suites    []*htmlSuite
	Total     Counts
}

type htmlSuite struct {
	Name, Title string
	Columns     []*htmlColumn
	Sections    []*htmlSection
}

type htmlColumn struct {
	Anchor  string // "c<n>", unique over the index
	Label   string
	Target  string
	Profile string
	Strict  bool
	Started string
	Elapsed time.Duration
	Counts  Counts
	// Problem says why cases are missing: the target could not be
	// reached, or stopped answering during the run.
	Problem      string
	ProblemShort string // the same in a few words, for the grid's header
}

type htmlSection struct {
	Number, Title string
	File          string // the reference, "" when none
	Disagree      bool
	Rows          []*htmlRow
	Counts        []Counts // per column
	Bad           bool     // a case of the section failed or erred somewhere
}

type htmlRow struct {
	ID, Title, Requirement string
	Level                  Level
	File                   string // the case page, in cases/
	Cells                  []htmlCell
	Bad                    bool      // failed or erred against some target
	results                []*Result // per column, nil when absent
}

type htmlCell struct {
	Class   string // pass, fail, skip, info, error, missing
	Text    string
	Href    string
	Tooltip string
}

// buildIndex merges the reports: reports of the same suite share a table,
// one column each, in the order given.
func buildIndex(reports []*Report, o HTMLOptions) *htmlIndex {
	idx := &htmlIndex{Title: o.Title, Generated: o.Generated.UTC().Format("2006-01-02 15:04:05 MST")}
	bySuite := map[string]*htmlSuite{}
	var cols [][]*Report // per suite, the reports of its columns
	files := map[string]bool{}
	for i, rep := range reports {
		s := bySuite[rep.Suite]
		if s == nil {
			s = &htmlSuite{Name: rep.Suite, Title: rep.Title}
			bySuite[rep.Suite] = s
			idx.Suites = append(idx.Suites, s)
			cols = append(cols, nil)
		}
		si := indexOf(idx.Suites, s)
		cols[si] = append(cols[si], rep)
		label := ""
		if i < len(o.Labels) {
			label = o.Labels[i]
		}
		c := rep.Counts()
		s.Columns = append(s.Columns, &htmlColumn{
			Anchor: fmt.Sprintf("c%d", i+1), Label: label, Target: rep.Target, Profile: rep.Profile,
			Strict: rep.Strict, Started: rep.Started.UTC().Format("2006-01-02 15:04:05"),
			Elapsed: rep.Duration, Counts: c, Problem: problemOf(rep), ProblemShort: problemShort(rep),
		})
		idx.Total.Total += c.Total
		idx.Total.Passed += c.Passed
		idx.Total.Failed += c.Failed
		idx.Total.Skipped += c.Skipped
		idx.Total.Info += c.Info
		idx.Total.Errors += c.Errors
	}
	for si, s := range idx.Suites {
		rows := map[string]*htmlRow{}
		sections := map[string]*htmlSection{}
		for ci, rep := range cols[si] {
			for ri := range rep.Results {
				r := &rep.Results[ri]
				row := rows[r.ID]
				if row == nil {
					row = &htmlRow{ID: r.ID, Title: r.Title, Requirement: r.Requirement, Level: r.Level,
						File: pageName(r.ID, files), results: make([]*Result, len(cols[si]))}
					rows[r.ID] = row
					sec := sections[r.Section]
					if sec == nil {
						sec = &htmlSection{Number: r.Section}
						if ref, ok := docs.Lookup(r.ID); ok {
							sec.Title, sec.File, sec.Disagree = ref.Title, ref.File, ref.Disagree
						}
						sections[r.Section] = sec
						s.Sections = append(s.Sections, sec)
					}
					sec.Rows = append(sec.Rows, row)
				}
				row.results[ci] = r
			}
		}
		for _, sec := range s.Sections {
			sec.Counts = make([]Counts, len(s.Columns))
			for _, row := range sec.Rows {
				for ci, r := range row.results {
					row.Cells = append(row.Cells, cellOf(r, row.File, s.Columns[ci].Anchor))
					if r != nil {
						sec.Counts[ci].add(r.Verdict)
						if r.Verdict == Fail || r.Verdict == Error {
							row.Bad, sec.Bad = true, true
						}
					}
				}
			}
		}
	}
	return idx
}

func (c *Counts) add(v Verdict) {
	c.Total++
	switch v {
	case Pass:
		c.Passed++
	case Fail:
		c.Failed++
	case Skip:
		c.Skipped++
	case Info:
		c.Info++
	default:
		c.Errors++
	}
}

func problemOf(rep *Report) string {
	switch {
	case rep.Unreachable != "":
		return "target unreachable, no case ran: " + rep.Unreachable
	case rep.Stopped != nil:
		return rep.Stopped.String()
	}
	return ""
}

func problemShort(rep *Report) string {
	switch {
	case rep.Unreachable != "":
		return "target unreachable"
	case rep.Stopped != nil:
		return fmt.Sprintf("stopped answering during %s; %d not run", rep.Stopped.During, len(rep.Stopped.NotRun))
	}
	return ""
}

func indexOf(ss []*htmlSuite, s *htmlSuite) int {
	for i := range ss {
		if ss[i] == s {
			return i
		}
	}
	return -1
}

func cellOf(r *Result, file, anchor string) htmlCell {
	if r == nil {
		return htmlCell{Class: "missing", Text: "–", Tooltip: "not run against this target"}
	}
	c := htmlCell{Class: verdictClass(r.Verdict), Text: r.Verdict.String(), Href: "cases/" + file + "#" + anchor}
	switch r.Verdict {
	case Fail:
		c.Tooltip = "expected " + strings.Join(r.Expected, " or ") + "; actual " + r.Actual
	case Pass:
		c.Tooltip = fmt.Sprintf("%.1f ms", float64(r.Duration)/float64(time.Millisecond))
	default:
		c.Tooltip = r.Message
	}
	return c
}

func verdictClass(v Verdict) string {
	switch v {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	case Skip:
		return "skip"
	case Info:
		return "info"
	}
	return "error"
}

// pageName turns a case ID into a file name of its own: letters, digits,
// dots and dashes are kept, anything else becomes '_'; a clash (two IDs
// that differ only in dropped characters) gets a number.
func pageName(id string, used map[string]bool) string {
	var b strings.Builder
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	base := b.String()
	if len(base) > 100 {
		base = base[:100]
	}
	name := base + ".html"
	for n := 2; used[strings.ToLower(name)]; n++ {
		name = fmt.Sprintf("%s~%d.html", base, n)
	}
	used[strings.ToLower(name)] = true
	return name
}

// The case page.

type htmlCase struct {
	Title     string // the index's
	Generated string
	Suite     string
	Back      string // the anchor of the case's section row in the index
	ID        string
	CaseTitle string
	Level     Level
	Require   string
	Section   *docs.Section
	Results   []htmlCaseResult
}

type htmlCaseResult struct {
	Column      *htmlColumn
	Class       string
	Verdict     string
	Present     bool
	Expected    []string
	Actual      string
	Message     string
	Log         []string
	Wire        []WireEntry
	WireDropped int
	Duration    time.Duration
}

func (row *htmlRow) page(idx *htmlIndex, s *htmlSuite, sec *htmlSection) *htmlCase {
	p := &htmlCase{Title: idx.Title, Generated: idx.Generated, Suite: s.Title, ID: row.ID,
		CaseTitle: row.Title, Level: row.Level, Require: row.Requirement, Back: s.Name + "-" + sec.Number}
	if ref, ok := docs.Lookup(row.ID); ok {
		p.Section = &ref
	}
	for ci, r := range row.results {
		cr := htmlCaseResult{Column: s.Columns[ci], Class: "missing", Verdict: "not run"}
		if r != nil {
			cr = htmlCaseResult{Column: s.Columns[ci], Class: verdictClass(r.Verdict), Verdict: r.Verdict.String(),
				Present: true, Expected: r.Expected, Actual: r.Actual, Message: r.Message, Log: r.Log,
				Wire: r.Wire, WireDropped: r.WireDropped, Duration: r.Duration}
		}
		p.Results = append(p.Results, cr)
	}
	return p
}
