package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/docs"
)

// cmdReport merges JSON reports written by "conform --json" into one HTML
// report: one grid per suite, one column per report.
func cmdReport(_ context.Context, c *cli, args []string) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	htmlDir := fs.String("html", "", "write the HTML report (index.html and a page per case) into `DIR` (required)")
	title := fs.String("title", "", "title of the index page (default \"Conformance report\")")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: appwire report --html DIR REPORT.json ...")
		fmt.Fprintln(c.stderr, "\nMerges JSON reports of 'appwire conform --json' into one HTML report: a grid per")
		fmt.Fprintln(c.stderr, "suite with one column per report (target and profile), grouped by the sections of")
		fmt.Fprintln(c.stderr, "the protocol reference, and a page per case. The folder is self-contained.")
		fmt.Fprintln(c.stderr, "\nflags:")
		fs.PrintDefaults()
	}
	files, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
	}
	switch {
	case *htmlDir == "":
		c.errorf("report: --html DIR is required")
		fs.Usage()
		return exitUsage
	case len(files) == 0:
		c.errorf("report: no JSON report given")
		fs.Usage()
		return exitUsage
	}
	var (
		reports []*conformance.Report
		labels  []string
	)
	for _, name := range files {
		reps, err := readReportFile(name)
		if err != nil {
			c.errorf("report: %v", err)
			return exitProblem
		}
		for range reps {
			labels = append(labels, filepath.Base(name))
		}
		reports = append(reports, reps...)
	}
	if err := conformance.WriteHTML(*htmlDir, reports, conformance.HTMLOptions{Title: *title, Labels: labels}); err != nil {
		c.errorf("report: %v", err)
		return exitProblem
	}
	fmt.Fprintf(c.stdout, "wrote %s (%d reports)\n", filepath.Join(*htmlDir, "index.html"), len(reports))
	return exitOK
}

func readReportFile(name string) ([]*conformance.Report, error) {
	fh, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	reps, err := conformance.ReadJSON(io.LimitReader(fh, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return reps, nil
}

// sectionTitle is the title of the reference section a result's case
// checks, else the suite's own heading for it.
func sectionTitle(res conformance.Result, fallback map[string]string) string {
	if t := res.SectionTitle(); t != "" {
		return t
	}
	return fallback[res.Section]
}

// listSection writes the heading of a section in "conform --list": its
// number, its title in the reference and where to read it.
// A blank line separates it from the previous section's cases.
func listSection(w io.Writer, cs *conformance.Case, s *conformance.Suite, blank bool) {
	if blank {
		fmt.Fprintln(w)
	}
	if ref, ok := docs.Lookup(cs.ID); ok {
		fmt.Fprintf(w, "%s %s (%s)\n", ref.Number, ref.Title, ref.File)
		return
	}
	fmt.Fprintf(w, "%s %s\n", cs.Section(), s.Sections[cs.Section()])
}
