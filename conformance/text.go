package conformance

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// TextOptions tune the console report.
type TextOptions struct {
	// Color uses ANSI colours for verdicts.
	Color bool
	// Verbose also prints the wire log of passing cases.
	Verbose bool
	// Sections maps section numbers to titles for headings (Suite.Sections).
	Sections map[string]string
	// SummaryOnly leaves out the header and the per-case lines, for a
	// report whose cases were printed as they ended (WriteHeader, then
	// WriteResultLine): only the failures and the totals follow.
	SummaryOnly bool
}

const (
	ansiReset = "\x1b[0m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiCyan  = "\x1b[36m"
	ansiBlue  = "\x1b[34m"
)

// WriteResultLine writes the one-line form of a result, as the console
// report and live progress show it.
func WriteResultLine(w io.Writer, r Result, o TextOptions) error {
	mark, color := "?", ""
	switch r.Verdict {
	case Pass:
		mark, color = "✔", ansiGreen
	case Fail:
		mark, color = "×", ansiRed
	case Skip:
		mark, color = "-", ansiCyan
	case Info:
		mark, color = "i", ansiBlue
	case Error:
		mark, color = "!", ansiRed
	}
	line := fmt.Sprintf("%s %-5s %-16s %s", mark, r.Verdict, r.ID, r.Title)
	if r.Verdict == Skip || r.Verdict == Info || r.Verdict == Error {
		line += " (" + r.Message + ")"
	}
	if o.Color && color != "" {
		line = color + line + ansiReset
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

// WriteText writes the console report in the h2spec style: cases grouped by
// section, one line each; then every failure and error again with its
// requirement, expected and actual behaviour and the last frames exchanged;
// then the totals.
func WriteText(w io.Writer, rep *Report, o TextOptions) error {
	ew := &errWriter{w: w}
	section := "\x00"
	if !o.SummaryOnly {
		_ = WriteHeader(ew, rep)
	}
	for _, r := range rep.Results {
		if o.SummaryOnly {
			break
		}
		if r.Section != section {
			section = r.Section
			if title := sectionTitle(&r, o.Sections); title != "" {
				fmt.Fprintf(ew, "\n  %s. %s\n", section, title)
			} else {
				fmt.Fprintf(ew, "\n  %s.\n", section)
			}
		}
		ew.write("    ")
		_ = WriteResultLine(ew, r, o)
		if o.Verbose && r.Verdict != Fail && r.Verdict != Error {
			writeWire(ew, r, "        ")
		}
	}
	c := rep.Counts()
	if c.Failed+c.Errors > 0 {
		fmt.Fprintf(ew, "\nFailures:\n")
		for _, r := range rep.Results {
			if r.Verdict != Fail && r.Verdict != Error {
				continue
			}
			fmt.Fprintf(ew, "\n  %s %s [%s] %s\n", r.Verdict, r.ID, r.Level, r.Title)
			writeSectionLine(ew, &r)
			fmt.Fprintf(ew, "    -> %s\n", r.Requirement)
			if r.Verdict == Error {
				fmt.Fprintf(ew, "    Error: %s\n", r.Message)
			}
			for i, e := range r.Expected {
				if i == 0 {
					fmt.Fprintf(ew, "    Expected: %s\n", e)
				} else {
					fmt.Fprintf(ew, "          or: %s\n", e)
				}
			}
			if r.Verdict == Fail {
				fmt.Fprintf(ew, "      Actual: %s\n", r.Actual)
			}
			for _, l := range r.Log {
				fmt.Fprintf(ew, "    log: %s\n", l)
			}
			writeWire(ew, r, "    ")
		}
	}
	fmt.Fprintf(ew, "\nFinished in %.2f seconds\n", rep.Duration.Seconds())
	fmt.Fprintf(ew, "%d tests, %d passed, %d skipped, %d failed, %d info, %d errors\n",
		c.Total, c.Passed, c.Skipped, c.Failed, c.Info, c.Errors)
	return ew.err
}

// WriteHeader writes the first line of the console report: the suite,
// the target, and the profile when the suite has profiles.
func WriteHeader(w io.Writer, rep *Report) error {
	var notes []string
	if rep.Profile != "" {
		notes = append(notes, fmt.Sprintf("profile %q", rep.Profile))
	}
	if rep.Strict {
		notes = append(notes, "strict")
	}
	line := rep.Title + " against " + rep.Target
	if len(notes) > 0 {
		line += " (" + strings.Join(notes, ", ") + ")"
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

func writeWire(ew *errWriter, r Result, indent string) {
	if len(r.Wire) == 0 {
		return
	}
	if r.WireDropped > 0 {
		fmt.Fprintf(ew, "%s(%d earlier frames not kept)\n", indent, r.WireDropped)
	}
	for _, e := range r.Wire {
		fmt.Fprintf(ew, "%s%s %7s %s\n", indent, e.Dir, e.At.Round(time.Millisecond), strings.ReplaceAll(e.Text, "\n", `\n`))
	}
}

// errWriter keeps the first write error so report code can write freely.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) write(s string) { _, _ = io.WriteString(e, s) }
