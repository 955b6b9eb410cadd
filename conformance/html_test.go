package conformance_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
)

// hostile is text a target controls (frames, actual behaviour, skip
// reasons); every page must show it as text, never as markup.
const hostile = `</td></tr></table><td class="cell pass">PASS</td><script>alert(1)</script><img src=x onerror=alert(2)>`

// gridReports is two afb runs against two targets (to merge into one
// table) and one simplepush run, with every verdict and a hostile target.
func gridReports() []*conformance.Report {
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	wire := []conformance.WireEntry{
		{Dir: conformance.Sent, At: time.Millisecond, Text: `[2,"c1","hello/ping",{"a":1}]`},
		{Dir: conformance.Received, At: 3 * time.Millisecond, Text: hostile},
		{Dir: conformance.Note, At: 4 * time.Millisecond, Text: "closed 1008"},
	}
	a := &conformance.Report{Suite: "afb", Title: "AGL binder", Target: "http://127.0.0.1:1234/api", Profile: "v6",
		Started: at, Duration: 2 * time.Second, Results: []conformance.Result{
			{ID: "afb/1.1/1", Section: "1.1", Title: "upper case reaches hello/ping", Level: conformance.Must, Requirement: "names match in any case", Verdict: conformance.Pass, Duration: time.Millisecond},
			{ID: "afb/1.1/2", Section: "1.1", Title: "repeated slashes", Level: conformance.Must, Requirement: "slashes are skipped", Verdict: conformance.Fail,
				Expected: []string{"HTTP 200 with the afb-reply", "HTTP 404"}, Actual: "HTTP 500 " + hostile, Wire: wire, WireDropped: 2, Log: []string{"log " + hostile}},
			{ID: "afb/4.2/1", Section: "4.2", Title: "call gets a reply", Level: conformance.Must, Requirement: "a call gets [3,id,reply]", Verdict: conformance.Pass},
			{ID: "afb/4.2/9", Section: "4.2", Title: "{} closes 1008", Level: conformance.Must, Requirement: "malformed closes", Verdict: conformance.Error, Message: "dial: " + hostile},
			{ID: "afb/4.3/1", Section: "4.3", Title: "event before reply", Level: conformance.Compat, Requirement: "order", Verdict: conformance.Info, Message: "3 frames"},
		}}
	b := &conformance.Report{Suite: "afb", Title: "AGL binder", Target: "http://127.0.0.1:5678/api", Profile: "final",
		Started: at, Duration: time.Second, Results: []conformance.Result{
			{ID: "afb/1.1/1", Section: "1.1", Title: "upper case reaches hello/ping", Level: conformance.Must, Requirement: "names match in any case", Verdict: conformance.Fail, Expected: []string{"200"}, Actual: "404"},
			{ID: "afb/1.1/2", Section: "1.1", Title: "repeated slashes", Level: conformance.Must, Requirement: "slashes are skipped", Verdict: conformance.Pass},
			{ID: "afb/1.1/8", Section: "1.1", Title: "plain GET /api gives 404", Level: conformance.Compat, Requirement: "no token check", Verdict: conformance.Pass},
			{ID: "afb/4.2/1", Section: "4.2", Title: "call gets a reply", Level: conformance.Must, Requirement: "a call gets [3,id,reply]", Verdict: conformance.Skip, Message: "not in profile"},
		}}
	c := &conformance.Report{Suite: "simplepush", Title: "SimplePush", Target: "ws://127.0.0.1:8080/", Profile: "pushgo",
		Started: at, Duration: time.Second,
		Stopped: &conformance.Stopped{During: "simplepush/3.6/1", After: "simplepush/3.5/2", Reason: "dial: " + hostile, NotRun: []string{"simplepush/7/1"}},
		Results: []conformance.Result{
			{ID: "simplepush/3.5/2", Section: "3.5", Title: "older ack keeps newer", Level: conformance.Must, Requirement: "ack clears up to its version", Verdict: conformance.Fail, Expected: []string{"version 30 again"}, Actual: "nothing within 1s"},
			{ID: "simplepush/3.6/1", Section: "3.6", Title: "ping", Level: conformance.Must, Requirement: "{} answered", Verdict: conformance.Pass},
		}}
	return []*conformance.Report{a, b, c}
}

// verdictTally counts the results of reports by verdict class, as the grid
// shows them.
func verdictTally(reports []*conformance.Report) map[string]int {
	n := map[string]int{}
	for _, r := range reports {
		for _, res := range r.Results {
			n[strings.ToLower(res.Verdict.String())]++
		}
	}
	return n
}

var cellRE = regexp.MustCompile(`<td class="cell ([a-z]+)"`)

// cellTally counts the grid cells of a rendered index page by class.
func cellTally(page string) map[string]int {
	n := map[string]int{}
	for _, m := range cellRE.FindAllStringSubmatch(page, -1) {
		n[m[1]]++
	}
	return n
}

func writeGrid(t *testing.T) (string, []*conformance.Report) {
	t.Helper()
	reports := gridReports()
	dir := t.TempDir()
	err := conformance.WriteHTML(dir, reports, conformance.HTMLOptions{Title: "Grid <test>",
		Labels: []string{"a.json", "b.json", "c.json"}})
	if err != nil {
		t.Fatal(err)
	}
	return dir, reports
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteHTMLPages(t *testing.T) {
	dir, reports := writeGrid(t)
	index := readFile(t, filepath.Join(dir, "index.html"))

	// One table per suite; the two afb reports are two columns of one
	// table; a case one target did not run is a "missing" cell.
	if n := strings.Count(index, `<table class="grid"`); n != 2 {
		t.Errorf("%d grid tables, want 2 (afb, simplepush)", n)
	}
	want := verdictTally(reports)
	want["missing"] = 3 // afb/4.2/9 and afb/4.3/1 not run on b, afb/1.1/8 not on a
	if got := cellTally(index); !equalCounts(got, want) {
		t.Errorf("cells %v, want %v", got, want)
	}
	// Each section row counts the verdicts of each column.
	if n := strings.Count(index, `<th class="seccount">`); n != 3*2+2*1 {
		t.Errorf("%d section count cells, want 8 (afb: 3 sections x 2 columns, simplepush: 2 x 1)", n)
	}
	if !strings.Contains(index, `<th class="seccount"><span class="n pass">1</span><span class="n fail">1</span></th>`) {
		t.Error("afb 1.1 in the first column should count 1 pass and 1 fail")
	}
	// Section rows are anchors; rows and sections with a failure or an
	// error are marked for the "only failures" view.
	for _, s := range []string{`<tr class="section bad" id="afb-4.2">`, `<tr class="section" id="afb-4.3">`,
		`<tr class="case bad" data-id="afb/1.1/1">`, `<tr class="case" data-id="afb/4.2/1">`, `<tr class="case bad" data-id="afb/4.2/9">`} {
		if !strings.Contains(index, s) {
			t.Errorf("index lacks %s", s)
		}
	}
	// Sections carry the reference's titles, in report order.
	for _, s := range []string{"1.1 URL layout", "4.2 Frames", "4.3 Events and subscription", "3.5 ack"} {
		if !strings.Contains(index, s) {
			t.Errorf("index lacks section heading %q", s)
		}
	}
	for _, s := range []string{`<span id="failures"></span>`, `href="#failures"`, "#failures:target ~ .report tr.case:not(.bad)",
		"stopped answering during simplepush/3.6/1; 1 not run"} {
		if !strings.Contains(index, s) {
			t.Errorf("index lacks %s", s)
		}
	}
	if !strings.Contains(index, "the target stopped answering during simplepush/3.6/1") {
		t.Error("the index does not say that the simplepush target stopped answering")
	}
	if i, j := strings.Index(index, "afb/1.1/2"), strings.Index(index, "afb/1.1/8"); i < 0 || j < i {
		t.Errorf("afb/1.1/8 (only in the second report) should follow afb/1.1/2")
	}

	// Every case has a page, with the reference section and each
	// target's verdict.
	files, _ := filepath.Glob(filepath.Join(dir, "cases", "*.html"))
	if len(files) != 8 {
		t.Errorf("%d case pages, want 8: %v", len(files), files)
	}
	page := readFile(t, filepath.Join(dir, "cases", "afb_1.1_2.html"))
	for _, s := range []string{"slashes are skipped", "1.1 URL layout", "docs/protocols/afb.md",
		"HTTP 200 with the afb-reply", "HTTP 404", "HTTP 500 ", `[2,&#34;c1&#34;,&#34;hello/ping&#34;,{&#34;a&#34;:1}]`,
		"2 earlier frames not kept", `id="c1"`, `id="c2"`, `href="../index.html#afb-1.1"`} {
		if !strings.Contains(page, s) {
			t.Errorf("case page lacks %q", s)
		}
	}

	// Self-contained and inert: no script, no external resource, and the
	// hostile text only ever escaped.
	all := []string{index}
	for _, f := range files {
		all = append(all, readFile(t, f))
	}
	for i, p := range all {
		low := strings.ToLower(p)
		for _, bad := range []string{"<script", "<img", "http-equiv", "<link", "<iframe", "<object", "@import", "url("} {
			if strings.Contains(low, bad) {
				t.Errorf("page %d contains %q", i, bad)
			}
		}
		// With quoted attribute values emptied, no tag may carry src= or
		// an event handler.
		bare := regexp.MustCompile(`="[^"]*"`).ReplaceAllString(low, `=""`)
		if regexp.MustCompile(`<[a-z]+[^>]*\s(src|on[a-z]+)=`).MatchString(bare) {
			t.Errorf("page %d has an element with src= or an event handler", i)
		}
		if regexp.MustCompile(`href="(https?:|//)`).MatchString(p) {
			t.Errorf("page %d links outside the folder", i)
		}
	}
	if !strings.Contains(index, "Grid &lt;test&gt;") {
		t.Error("the title is not escaped")
	}
}

func TestWriteHTMLErrors(t *testing.T) {
	if err := conformance.WriteHTML(t.TempDir(), nil, conformance.HTMLOptions{}); err == nil {
		t.Error("no reports: want an error")
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := conformance.WriteHTML(file, gridReports(), conformance.HTMLOptions{}); err == nil {
		t.Error("dir is a file: want an error")
	}
}

func TestReadJSONRoundTrip(t *testing.T) {
	reports := gridReports()
	var buf bytes.Buffer
	if err := conformance.WriteJSON(&buf, reports...); err != nil {
		t.Fatal(err)
	}
	got, err := conformance.ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(reports)
	b, _ := json.Marshal(got)
	if !bytes.Equal(a, b) {
		t.Errorf("round trip differs:\n%s\n%s", a, b)
	}
	for _, bad := range []string{``, `{}`, `{"reports":[]}`, `{"reports":[{}]}`, `{"reports":[null]}`,
		`{"reports":[{"suite":"x","results":[{"verdict":"MAYBE"}]}]}`, `[1,2]`} {
		if _, err := conformance.ReadJSON(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadJSON(%q): want an error", bad)
		}
	}
}

func equalCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// Several runs, for example one per target or per profile, become one
// grid: a table per suite, a column per report.
func ExampleWriteHTML() {
	dir, err := os.MkdirTemp("", "report")
	if err != nil {
		return
	}
	defer os.RemoveAll(dir)
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	run := func(target string, v conformance.Verdict) *conformance.Report {
		return &conformance.Report{Suite: "afb", Title: "AGL binder", Target: target, Profile: "v6", Started: at,
			Results: []conformance.Result{{ID: "afb/1.1/1", Section: "1.1", Title: "GET /API/HELLO/PING",
				Level: conformance.Must, Requirement: "names match in any case", Verdict: v,
				Expected: []string{"200"}, Actual: "404"}}}
	}
	reports := []*conformance.Report{run("http://a:1234/api", conformance.Pass), run("http://b:1234/api", conformance.Fail)}
	if err := conformance.WriteHTML(dir, reports, conformance.HTMLOptions{Title: "afb: a vs b"}); err != nil {
		fmt.Println(err)
		return
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "*", "*.html"))
	index, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	fmt.Println(len(pages), "case page;", strings.Count(string(index), `class="cell `), "cells")
	// Output: 1 case page; 2 cells
}
