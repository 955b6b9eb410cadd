package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/appwire/appwire/conformance"
)

type conformFlags struct {
	list     bool
	only     listFlag
	strict   bool
	profile  string
	jsonOut  string
	junitOut string
	timeout  time.Duration
	parallel int
	verbose  bool
	params   map[string]*string
}

func newConformFlags(c *cli) (*flag.FlagSet, *conformFlags) {
	f := &conformFlags{params: map[string]*string{}}
	fs := flag.NewFlagSet("conform", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.BoolVar(&f.list, "list", false, "list the cases and exit")
	fs.Var(&f.only, "run", "run only cases whose ID starts with this prefix (repeatable, comma-separated)")
	fs.BoolVar(&f.strict, "strict", false, "also run SHOULD-level cases")
	fs.StringVar(&f.profile, "profile", "", "upstream dialect (default: the suite's first profile)")
	fs.StringVar(&f.jsonOut, "json", "", "write a JSON report to `FILE`")
	fs.StringVar(&f.junitOut, "junit", "", "write a JUnit XML report to `FILE`")
	fs.DurationVar(&f.timeout, "timeout", conformance.DefaultTimeout, "timeout of each case")
	fs.IntVar(&f.parallel, "parallel", 1, "cases run at once")
	fs.BoolVar(&f.verbose, "v", false, "print each case as it ends, and wire logs of passing cases")
	// Every suite's setup inputs become flags; a name shared by two suites
	// is one flag.
	for _, p := range protocols() {
		for _, prm := range p.suite().Params {
			if _, ok := f.params[prm.Name]; ok {
				continue
			}
			f.params[prm.Name] = fs.String(prm.Name, prm.Default, "("+p.name+") "+prm.Usage)
		}
	}
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: appwire conform [flags] PROTOCOL TARGET")
		fmt.Fprintln(c.stderr, "       appwire conform [flags] self")
		fmt.Fprintln(c.stderr, "\nprotocols:")
		for _, p := range protocols() {
			s := p.suite()
			fmt.Fprintf(c.stderr, "  %-10s %s (%d cases", p.name, s.Title, len(s.Cases))
			if len(s.Profiles) > 0 {
				var names []string
				for _, pr := range s.Profiles {
					names = append(names, pr.Name)
				}
				fmt.Fprintf(c.stderr, "; profiles %s", strings.Join(names, ", "))
			}
			fmt.Fprintln(c.stderr, ")")
		}
		fmt.Fprintln(c.stderr, "\n'self' starts the reference servers in-process and runs every suite against them.")
		fmt.Fprintln(c.stderr, "Exit status: 0 all passed, 1 a case failed or errored, 2 usage, 3 could not run.")
		fmt.Fprintln(c.stderr, "\nflags:")
		fs.PrintDefaults()
	}
	return fs, f
}

func (f *conformFlags) runner(c *cli) conformance.Runner {
	r := conformance.Runner{Timeout: f.timeout, Parallel: f.parallel, Strict: f.strict, Profile: f.profile, Only: f.only}
	if f.verbose {
		r.Progress = func(res conformance.Result) {
			_ = conformance.WriteResultLine(c.stderr, res, conformance.TextOptions{})
		}
	}
	return r
}

func cmdConform(ctx context.Context, c *cli, args []string) int {
	fs, f := newConformFlags(c)
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
	}
	if len(pos) == 1 && pos[0] == "self" {
		return conformSelf(ctx, c, f)
	}
	if len(pos) == 1 && f.list {
		pos = append(pos, "")
	}
	if len(pos) != 2 {
		fs.Usage()
		return exitUsage
	}
	p, ok := findProtocol(pos[0])
	if !ok {
		c.errorf("unknown protocol %q", pos[0])
		return exitUsage
	}
	suite := p.suite()
	if f.list {
		listCases(c.stdout, suite, f)
		return exitOK
	}
	target := conformance.Target{URL: pos[1], Params: map[string]string{}}
	for _, prm := range suite.Params {
		target.Params[prm.Name] = *f.params[prm.Name]
	}
	r := f.runner(c)
	rep, err := r.Run(ctx, suite, target)
	if err != nil {
		c.errorf("%v", err)
		return exitUsage
	}
	return finishConform(c, f, []*conformance.Report{rep}, []*conformance.Suite{suite})
}

// conformSelf starts every reference server on loopback and runs its suite
// against it.
func conformSelf(ctx context.Context, c *cli, f *conformFlags) int {
	var (
		reports []*conformance.Report
		suites  []*conformance.Suite
	)
	for _, p := range protocols() {
		suite := p.suite()
		r := f.runner(c)
		if r.Profile != "" && !suite.HasProfile(r.Profile) {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			c.errorf("%s: %v", p.name, err)
			return exitProblem
		}
		inst, err := p.serve(ctx, ln, serveConfig{})
		if err != nil {
			ln.Close()
			c.errorf("%s: starting the reference server: %v", p.name, err)
			return exitProblem
		}
		rep, err := r.Run(ctx, suite, conformance.Target{URL: inst.url, Params: inst.params})
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		serr := inst.shutdown(sctx)
		cancel()
		if err != nil {
			c.errorf("%s: %v", p.name, err)
			return exitUsage
		}
		if serr != nil {
			c.errorf("%s: shutdown: %v", p.name, serr)
		}
		reports = append(reports, rep)
		suites = append(suites, suite)
	}
	return finishConform(c, f, reports, suites)
}

func finishConform(c *cli, f *conformFlags, reports []*conformance.Report, suites []*conformance.Suite) int {
	sections := map[string]map[string]string{}
	code := exitOK
	for i, rep := range reports {
		sections[rep.Suite] = suites[i].Sections
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		_ = conformance.WriteText(c.stdout, rep, conformance.TextOptions{Verbose: f.verbose, Sections: suites[i].Sections})
		if !rep.OK() {
			code = exitFailed
		}
	}
	if f.jsonOut != "" {
		if err := writeFile(f.jsonOut, func(w io.Writer) error { return conformance.WriteJSON(w, reports...) }); err != nil {
			c.errorf("%v", err)
			return exitProblem
		}
	}
	if f.junitOut != "" {
		if err := writeFile(f.junitOut, func(w io.Writer) error { return conformance.WriteJUnit(w, sections, reports...) }); err != nil {
			c.errorf("%v", err)
			return exitProblem
		}
	}
	return code
}

func listCases(w io.Writer, s *conformance.Suite, f *conformFlags) {
	r := conformance.Runner{Only: f.only}
	for _, cs := range r.Selected(s) {
		prof := ""
		if len(cs.Profiles) > 0 {
			prof = " [" + strings.Join(cs.Profiles, ",") + "]"
		}
		fmt.Fprintf(w, "%-18s %-6s %s%s\n", cs.ID, cs.Level, cs.Title, prof)
	}
	if len(s.Params) > 0 {
		fmt.Fprintln(w, "\nsetup inputs:")
		for _, p := range s.Params {
			fmt.Fprintf(w, "  --%s  %s\n", p.Name, p.Usage)
		}
	}
	if len(s.Profiles) > 0 {
		fmt.Fprintln(w, "\nprofiles:")
		for i, p := range s.Profiles {
			def := ""
			if i == 0 {
				def = " (default)"
			}
			fmt.Fprintf(w, "  %-10s %s%s\n", p.Name, p.Description, def)
		}
	}
}

func writeFile(path string, write func(io.Writer) error) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(fh); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
