package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/appwire/appwire/conformance"
)

// conformFlags are the flags every suite shares; a suite's own parameters
// are added for "conform PROTOCOL" only (scoped: no other suite's exist).
type conformFlags struct {
	list     bool
	only     listFlag
	strict   bool
	profile  string
	jsonOut  string
	junitOut string
	htmlOut  string
	timeout  time.Duration
	parallel int
	verbose  bool
	params   map[string]*string // the selected suite's parameters, by name
	setParam map[string]bool    // those given on the command line
}

func (f *conformFlags) common(fs *flag.FlagSet) {
	fs.BoolVar(&f.list, "list", false, "list the cases and exit")
	fs.Var(&f.only, "run", "run only cases whose ID starts with this prefix (repeatable, comma-separated)")
	fs.BoolVar(&f.strict, "strict", false, "also run SHOULD-level cases")
	fs.StringVar(&f.profile, "profile", "", "upstream dialect (default: the suite's first profile)")
	fs.StringVar(&f.jsonOut, "json", "", "write a JSON report to `FILE`")
	fs.StringVar(&f.junitOut, "junit", "", "write a JUnit XML report to `FILE`")
	fs.StringVar(&f.htmlOut, "html", "", "write an HTML report (index.html and a page per case) into `DIR`")
	fs.DurationVar(&f.timeout, "timeout", conformance.DefaultTimeout, "timeout of each case")
	fs.IntVar(&f.parallel, "parallel", 1, "cases run at once")
	fs.BoolVar(&f.verbose, "v", false, "also print the wire logs of passing cases")
}

// paramFlag is the flag name of a suite parameter: its own name, unless a
// common flag has it.
func paramFlag(common *flag.FlagSet, suite, param string) string {
	if common.Lookup(param) != nil {
		return suite + "-" + param
	}
	return param
}

// newConformFlags returns the flag set of "conform", with the parameters
// of p's suite when p is not nil.
func newConformFlags(c *cli, p *protocol) (*flag.FlagSet, *conformFlags) {
	f := &conformFlags{params: map[string]*string{}, setParam: map[string]bool{}}
	fs := flag.NewFlagSet("conform", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	f.common(fs)
	common := flag.NewFlagSet("", flag.ContinueOnError)
	f.common(common)
	var suite *conformance.Suite
	if p != nil {
		suite = p.suiteOf()
		for _, prm := range suite.Params {
			f.params[prm.Name] = fs.String(paramFlag(common, p.name, prm.Name), prm.Default, prm.Usage)
		}
	}
	fs.Usage = func() {
		w := c.stderr
		if p != nil {
			fmt.Fprintf(w, "usage: appwire conform %s TARGET [flags]\n", p.name)
			fmt.Fprintf(w, "       appwire conform %s --list\n", p.name)
			fmt.Fprintf(w, "\n%s (%d cases%s)\n", suite.Title, len(suite.Cases), profileNote(suite))
		} else {
			fmt.Fprintln(w, "usage: appwire conform PROTOCOL TARGET [flags]")
			fmt.Fprintln(w, "       appwire conform self [flags]")
			fmt.Fprintln(w, "\nprotocols:")
			for _, p := range protocols() {
				s := p.suite()
				fmt.Fprintf(w, "  %-10s %s (%d cases%s)\n", p.name, s.Title, len(s.Cases), profileNote(s))
			}
			fmt.Fprintln(w, "\n'self' starts the reference servers in-process and runs every suite against them.")
			fmt.Fprintln(w, "'appwire conform PROTOCOL --help' lists that suite's parameters.")
		}
		fmt.Fprintln(w, "Exit status: 0 all passed, 1 a case failed or the target stopped answering, 2 usage,")
		fmt.Fprintln(w, "3 could not run (the target cannot be reached or is not what PROTOCOL expects).")
		fmt.Fprintln(w, "\nflags:")
		common.SetOutput(w)
		common.PrintDefaults()
		if p != nil && len(suite.Params) > 0 {
			fmt.Fprintf(w, "\n%s parameters (unset ones keep the default shown):\n", p.name)
			ps := flag.NewFlagSet("", flag.ContinueOnError)
			for _, prm := range suite.Params {
				ps.String(paramFlag(common, p.name, prm.Name), prm.Default, prm.Usage)
			}
			ps.SetOutput(w)
			ps.PrintDefaults()
		}
	}
	return fs, f
}

func profileNote(s *conformance.Suite) string {
	if len(s.Profiles) == 0 {
		return ""
	}
	var names []string
	for _, pr := range s.Profiles {
		names = append(names, pr.Name)
	}
	return "; profiles " + strings.Join(names, ", ")
}

// conformSubject finds the protocol (or "self") among args before the
// flags are parsed, since the protocol decides which parameter flags
// exist. Flags may come before it.
func conformSubject(args []string) string {
	var f conformFlags
	sets := []*flag.FlagSet{flag.NewFlagSet("", flag.ContinueOnError)}
	f.common(sets[0])
	for _, p := range protocols() {
		ps := flag.NewFlagSet("", flag.ContinueOnError)
		for _, prm := range p.suite().Params {
			name := paramFlag(sets[0], p.name, prm.Name)
			if prm.Kind == conformance.ParamBool {
				ps.Bool(name, false, "")
			} else {
				ps.String(name, "", "")
			}
		}
		sets = append(sets, ps)
	}
	return firstPositional(args, sets...)
}

func cmdConform(ctx context.Context, c *cli, args []string) int {
	subject := conformSubject(args)
	var proto *protocol
	if p, ok := findProtocol(subject); ok {
		proto = &p
	}
	fs, f := newConformFlags(c, proto)
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
	}
	fs.Visit(func(fl *flag.Flag) { f.setParam[fl.Name] = true })
	usageErr := func(format string, args ...any) int {
		c.errorf(format, args...)
		fmt.Fprintln(c.stderr)
		fs.Usage()
		return exitUsage
	}
	switch {
	case len(pos) == 0:
		return usageErr("conform: missing PROTOCOL (one of %s) or self", strings.Join(protocolNames(), ", "))
	case pos[0] == "self":
		if len(pos) > 1 {
			return usageErr("conform self: unexpected argument %q (self takes no TARGET)", pos[1])
		}
		return conformSelf(ctx, c, f)
	case proto == nil:
		return usageErr("conform: unknown protocol %q (have: %s)", pos[0], strings.Join(protocolNames(), ", "))
	case len(pos) == 1 && !f.list:
		return usageErr("conform %s: missing TARGET (the URL of the implementation to test)", proto.name)
	case len(pos) > 2:
		return usageErr("conform %s: unexpected argument %q after TARGET %q", proto.name, pos[2], pos[1])
	}
	suite := proto.suiteOf()
	r := f.runner()
	if f.list {
		listCases(c.stdout, suite, f)
		return exitOK
	}
	if r.Profile != "" && !suite.HasProfile(r.Profile) {
		return usageErr("conform %s: unknown --profile %q%s", proto.name, r.Profile, profileNote(suite))
	}
	if len(r.Selected(suite)) == 0 {
		c.errorf("conform %s: --run %s matches no case (see 'appwire conform %s --list')", proto.name, f.only.String(), proto.name)
		return exitUsage
	}
	common := flag.NewFlagSet("", flag.ContinueOnError)
	(&conformFlags{}).common(common)
	target := conformance.Target{URL: pos[1], Params: map[string]string{}}
	for _, prm := range suite.Params {
		if name := paramFlag(common, proto.name, prm.Name); f.setParam[name] {
			target.Params[prm.Name] = *f.params[prm.Name]
		}
	}
	run := runOne{proto: proto, suite: suite, target: target}
	reports, code := f.runAll(ctx, c, []runOne{run})
	return f.finish(c, reports, []*conformance.Suite{suite}, code)
}

func protocolNames() []string {
	var names []string
	for _, p := range protocols() {
		names = append(names, p.name)
	}
	return names
}

func (f *conformFlags) runner() conformance.Runner {
	return conformance.Runner{Timeout: f.timeout, Parallel: f.parallel, Strict: f.strict, Profile: f.profile, Only: f.only}
}

// runOne is one suite to run against one target.
type runOne struct {
	proto  *protocol
	suite  *conformance.Suite
	target conformance.Target
}

// runAll runs each suite in turn, printing every case as it ends (and a
// progress line on a terminal), and returns the reports and the exit code
// so far. A target that cannot be reached gets one line and exit 3; its
// report (no results, Unreachable set) is still returned for the files.
func (f *conformFlags) runAll(ctx context.Context, c *cli, runs []runOne) ([]*conformance.Report, int) {
	var reports []*conformance.Report
	code := exitOK
	for i, ru := range runs {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		r := f.runner()
		profile := r.Profile
		if profile == "" {
			profile = ru.suite.DefaultProfile()
		}
		_ = conformance.WriteHeader(c.stdout, &conformance.Report{
			Title: ru.suite.Title, Target: ru.target.URL, Profile: profile, Strict: f.strict,
		})
		live := newLiveOutput(c, len(r.Selected(ru.suite)), ru.suite)
		r.Progress = live.result
		rep, err := r.Run(ctx, ru.suite, ru.target)
		live.done()
		switch {
		case errors.Is(err, conformance.ErrUnreachable):
			c.errorf("conform %s: cannot test %s: %v", ru.proto.name, ru.target.URL, strings.TrimPrefix(err.Error(), conformance.ErrUnreachable.Error()+": "))
			if rep != nil {
				reports = append(reports, rep)
			}
			code = max(code, exitProblem)
			continue
		case err != nil:
			c.errorf("conform %s: %v", ru.proto.name, err)
			return reports, exitUsage
		}
		reports = append(reports, rep)
		if !rep.OK() && code == exitOK {
			code = exitFailed
		}
		_ = conformance.WriteText(c.stdout, rep, conformance.TextOptions{
			Verbose: f.verbose, Sections: ru.suite.Sections, SummaryOnly: !f.verbose,
		})
		if rep.Stopped != nil {
			fmt.Fprintf(c.stdout, "STOPPED: %s\n", rep.Stopped)
		}
		if ru.proto.hint != nil {
			if h := ru.proto.hint(rep, ru.target); h != "" {
				fmt.Fprintf(c.stdout, "hint: %s\n", h)
			}
		}
	}
	return reports, code
}

// liveOutput prints each case as it ends, under its section heading, and
// on a terminal keeps a progress line on stderr below them.
type liveOutput struct {
	c        *cli
	total    int
	done_    int
	failed   int
	section  string
	sections map[string]string
	tty      bool
	mu       sync.Mutex
}

func newLiveOutput(c *cli, total int, s *conformance.Suite) *liveOutput {
	l := &liveOutput{c: c, total: total, sections: s.Sections, section: "\x00", tty: isTerminal(c.stderr) && isTerminal(c.stdout)}
	if l.tty && total > 0 {
		fmt.Fprintf(c.stderr, "[0/%d] running", total)
	}
	return l
}

func (l *liveOutput) result(res conformance.Result) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done_++
	if res.Verdict == conformance.Fail || res.Verdict == conformance.Error {
		l.failed++
	}
	if l.tty {
		fmt.Fprint(l.c.stderr, "\r\x1b[K")
	}
	if res.Section != l.section {
		l.section = res.Section
		if title := sectionTitle(res, l.sections); title != "" {
			fmt.Fprintf(l.c.stdout, "\n  %s. %s\n", res.Section, title)
		} else {
			fmt.Fprintf(l.c.stdout, "\n  %s.\n", res.Section)
		}
	}
	fmt.Fprint(l.c.stdout, "    ")
	_ = conformance.WriteResultLine(l.c.stdout, res, conformance.TextOptions{Color: l.tty})
	if l.tty && l.done_ < l.total {
		fmt.Fprintf(l.c.stderr, "[%d/%d] running, %d failed or errored so far", l.done_, l.total, l.failed)
	}
}

func (l *liveOutput) done() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tty {
		fmt.Fprint(l.c.stderr, "\r\x1b[K")
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// conformSelf starts every reference server on loopback (in registry
// order, so that a server finds those it needs) and runs each suite
// against its own server with the suite's defaults.
func conformSelf(ctx context.Context, c *cli, f *conformFlags) int {
	all := protocols()
	env := &serveEnv{}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		for _, inst := range slices.Backward(env.started) {
			if err := inst.shutdown(sctx); err != nil {
				c.errorf("%s: shutdown: %v", inst.protocol, err)
			}
		}
	}()
	var runs []runOne
	selected := 0
	for i := range all {
		p := &all[i]
		suite := p.suiteOf()
		r := f.runner()
		if r.Profile != "" && !suite.HasProfile(r.Profile) {
			continue
		}
		selected += len(r.Selected(suite))
		if r.Profile != "" && p.serveProfile != nil {
			if err := p.serveProfile(r.Profile); err != nil {
				c.errorf("%s: the reference server has no profile %q: %v", p.name, r.Profile, err)
				return exitProblem
			}
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			c.errorf("%s: %v", p.name, err)
			return exitProblem
		}
		inst, err := p.serve(ctx, ln, env)
		if err != nil {
			ln.Close()
			c.errorf("%s: starting the reference server: %v", p.name, err)
			return exitProblem
		}
		inst.protocol = p.name
		env.started = append(env.started, inst)
		if len(r.Selected(suite)) > 0 {
			runs = append(runs, runOne{proto: p, suite: suite, target: conformance.Target{URL: inst.url, Params: inst.params}})
		}
	}
	if f.profile != "" && len(env.started) == 0 {
		c.errorf("conform self: --profile %s is no profile of any suite (see 'appwire conform PROTOCOL --list')", f.profile)
		return exitUsage
	}
	if len(f.only) > 0 && selected == 0 {
		c.errorf("conform self: --run %s matches no case of any suite", f.only.String())
		return exitUsage
	}
	var suites []*conformance.Suite
	for _, ru := range runs {
		suites = append(suites, ru.suite)
	}
	reports, code := f.runAll(ctx, c, runs)
	return f.finish(c, reports, suites, code)
}

// finish writes the report files and returns the exit code.
func (f *conformFlags) finish(c *cli, reports []*conformance.Report, suites []*conformance.Suite, code int) int {
	if code == exitUsage {
		return code
	}
	sections := map[string]map[string]string{}
	for _, s := range suites {
		sections[s.Name] = s.Sections
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
	if f.htmlOut != "" && len(reports) > 0 {
		if err := conformance.WriteHTML(f.htmlOut, reports, conformance.HTMLOptions{}); err != nil {
			c.errorf("%v", err)
			return exitProblem
		}
	}
	return code
}

func listCases(w io.Writer, s *conformance.Suite, f *conformFlags) {
	r := conformance.Runner{Only: f.only}
	section := "\x00"
	for _, cs := range r.Selected(s) {
		if sec := cs.Section(); sec != section {
			listSection(w, cs, s, section != "\x00")
			section = sec
		}
		prof := ""
		if len(cs.Profiles) > 0 {
			prof = " [" + strings.Join(cs.Profiles, ",") + "]"
		}
		fmt.Fprintf(w, "%-18s %-6s %s%s\n", cs.ID, cs.Level, cs.Title, prof)
	}
	if len(s.Params) > 0 {
		fmt.Fprintln(w, "\nsetup inputs:")
		for _, p := range s.Params {
			def := ""
			if p.Default != "" {
				def = " (default " + p.Default + ")"
			}
			fmt.Fprintf(w, "  --%s  %s%s\n", p.Name, p.Usage, def)
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
