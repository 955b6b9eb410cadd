package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/afbtest"
)

var htmlCell = regexp.MustCompile(`<td class="cell ([a-z]+)"`)

// TestConformHTMLAndReport runs the afb suite against the reference binder
// under two profiles with --json and --html, then merges the two JSON
// reports with "appwire report": one grid, one column per report, one
// cell per result with its verdict.
func TestConformHTMLAndReport(t *testing.T) {
	url := startAFBBinder(t)
	dir := t.TempDir()
	var jsons []string
	for _, profile := range []string{"v6", "final"} {
		js := filepath.Join(dir, profile+".json")
		html := filepath.Join(dir, "html-"+profile)
		code, out, stderr := runCLI(t, "", "conform", "afb", url, "--token", afbtest.Token, "--profile", profile,
			"--run", "afb/1.1,afb/4.1", "--json", js, "--html", html)
		// The v6 binder passes its own profile and fails AGL-final's.
		if want := map[string]int{"v6": exitOK, "final": exitFailed}[profile]; code != want {
			t.Fatalf("conform --profile %s: exit %d, want %d\n%s\n%s", profile, code, want, out, stderr)
		}
		index := readText(t, filepath.Join(html, "index.html"))
		if !strings.Contains(index, "1.1 URL layout") || !strings.Contains(index, "4.1 Upgrade") {
			t.Errorf("%s: the index lacks the reference's section titles", profile)
		}
		jsons = append(jsons, js)
	}

	merged := filepath.Join(dir, "merged")
	code, out, stderr := runCLI(t, "", "report", "--html", merged, "--title", "afb: v6 <vs> final", jsons[0], jsons[1])
	if code != exitOK {
		t.Fatalf("report: exit %d\n%s\n%s", code, out, stderr)
	}
	want := map[string]int{}
	for _, js := range jsons {
		fh, err := os.Open(js)
		if err != nil {
			t.Fatal(err)
		}
		reps, err := conformance.ReadJSON(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reps[0].Results {
			want[strings.ToLower(r.Verdict.String())]++
		}
	}
	index := readText(t, filepath.Join(merged, "index.html"))
	got := map[string]int{}
	for _, m := range htmlCell.FindAllStringSubmatch(index, -1) {
		got[m[1]]++
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("merged grid: %d %s cells, want %d (got %v, want %v)", got[k], k, v, got, want)
		}
	}
	if want["fail"] == 0 || want["pass"] == 0 {
		t.Errorf("the runs should give both passes and failures: %v", want)
	}
	if n := strings.Count(index, `<table class="grid"`); n != 1 {
		t.Errorf("%d grids, want one for the one suite", n)
	}
	for _, s := range []string{"v6.json", "final.json", "afb: v6 &lt;vs&gt; final"} {
		if !strings.Contains(index, s) {
			t.Errorf("merged index lacks %q", s)
		}
	}
	if _, err := os.Stat(filepath.Join(merged, "cases", "afb_4.1_2.html")); err != nil {
		t.Errorf("no case page: %v", err)
	}
}

func TestReportUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"reports":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"report", bad}, exitUsage},                                                 // no --html
		{[]string{"report", "--html", dir}, exitUsage},                                       // no file
		{[]string{"report", "--html", dir, filepath.Join(dir, "missing.json")}, exitProblem}, // unreadable
		{[]string{"report", "--html", dir, bad}, exitProblem},                                // no reports in it
	} {
		code, out, stderr := runCLI(t, "", tt.args...)
		if code != tt.code || strings.Count(stderr, "appwire: report:") != 1 {
			t.Errorf("%q: exit %d, want %d, with one error line\n%s\n%s", tt.args, code, tt.code, out, stderr)
		}
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
