package conformance

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// JUnit XML, one <testsuite> per spec section of each report, as h2spec
// does; unlike h2spec, a failed assertion is a <failure> and only a harness
// or network problem is an <error>.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Package  string      `xml:"package,attr"`
	ID       string      `xml:"id,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`

	dur time.Duration
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes the reports as JUnit XML. sections maps, per suite name,
// section numbers to titles (Suite.Sections); it may be nil.
func WriteJUnit(w io.Writer, sections map[string]map[string]string, reports ...*Report) error {
	all := junitSuites{Name: "appwire conformance"}
	var total time.Duration
	for _, rep := range reports {
		total += rep.Duration
		byID := map[string]int{}
		for _, r := range rep.Results {
			i, ok := byID[r.Section]
			if !ok {
				i = len(all.Suites)
				byID[r.Section] = i
				name := r.Section
				if title := sectionTitle(&r, sections[rep.Suite]); title != "" {
					name += ". " + title
				}
				all.Suites = append(all.Suites, junitSuite{
					Name:    name,
					Package: rep.Suite + "/" + r.Section,
					ID:      r.Section,
				})
			}
			s := &all.Suites[i]
			jc := junitCase{
				Name:      r.ID + ": " + r.Title,
				Classname: strings.ReplaceAll(rep.Suite+"/"+r.Section, "/", "."),
				Time:      seconds(r.Duration),
			}
			switch r.Verdict {
			case Fail:
				s.Failures++
				jc.Failure = &junitProblem{Message: r.Requirement, Type: r.Level.String(), Text: failureText(r)}
			case Error:
				s.Errors++
				jc.Error = &junitProblem{Message: r.Message, Text: failureText(r)}
			case Skip:
				s.Skipped++
				jc.Skipped = &junitProblem{Message: r.Message}
			case Info:
				jc.SystemOut = "INFO: " + r.Message
			}
			s.Tests++
			s.dur += r.Duration
			s.Cases = append(s.Cases, jc)
		}
		// A target that could not be reached, or stopped answering, is one
		// <error> of its own, so CI shows why cases are missing.
		var problem *junitProblem
		switch {
		case rep.Unreachable != "":
			problem = &junitProblem{Message: "target unreachable: no case ran", Text: rep.Unreachable}
		case rep.Stopped != nil:
			problem = &junitProblem{Message: "target stopped answering", Text: rep.Stopped.String() + "\nnot run: " + strings.Join(rep.Stopped.NotRun, " ")}
		}
		if problem != nil {
			all.Suites = append(all.Suites, junitSuite{
				Name: rep.Suite + " target", Package: rep.Suite, ID: "target", Tests: 1, Errors: 1,
				Cases: []junitCase{{Name: rep.Suite + ": " + problem.Message, Classname: rep.Suite, Time: seconds(0), Error: problem}},
			})
		}
	}
	for i := range all.Suites {
		s := &all.Suites[i]
		s.Time = seconds(s.dur)
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Errors += s.Errors
		all.Skipped += s.Skipped
	}
	all.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func failureText(r Result) string {
	var b strings.Builder
	if r.Message != "" {
		fmt.Fprintf(&b, "Error: %s\n", r.Message)
	}
	if len(r.Expected) > 0 {
		fmt.Fprintf(&b, "Expected:\n")
		for _, e := range r.Expected {
			fmt.Fprintf(&b, "  %s\n", e)
		}
		fmt.Fprintf(&b, "Actual:\n  %s\n", r.Actual)
	}
	for _, e := range r.Wire {
		fmt.Fprintf(&b, "%s %s\n", e.Dir, e.Text)
	}
	return b.String()
}
