package conformance_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sampleReport() *conformance.Report {
	return &conformance.Report{
		Suite: "afb", Title: "AGL binder", Target: "http://127.0.0.1:1/api", Profile: "v6",
		Started:  time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC),
		Duration: 1500 * time.Millisecond,
		Results: []conformance.Result{
			{ID: "afb/1.1/1", Section: "1.1", Title: "GET /api/hello/ping", Level: conformance.Must,
				Requirement: "verbs are reached at /api/<api>/<verb>", Verdict: conformance.Pass, Duration: 3 * time.Millisecond},
			{ID: "afb/1.1/2", Section: "1.1", Title: "PUT is refused", Level: conformance.Compat,
				Requirement: "methods other than GET and POST get 400", Verdict: conformance.Fail,
				Expected: []string{"HTTP 400", "HTTP 405"}, Actual: "HTTP 200 <&>",
				Wire: []conformance.WireEntry{{Dir: conformance.Sent, At: time.Millisecond, Text: "PUT /api/hello/ping"},
					{Dir: conformance.Received, At: 2 * time.Millisecond, Text: "HTTP/1.1 200 OK\n"}},
				Duration: 2 * time.Millisecond},
			{ID: "afb/4.2/1", Section: "4.2", Title: "call frame", Level: conformance.Must,
				Requirement: "a call gets a reply", Verdict: conformance.Error, Message: "dial: connection refused"},
			{ID: "afb/4.2/2", Section: "4.2", Title: "should thing", Level: conformance.Should,
				Requirement: "r", Verdict: conformance.Skip, Message: "SHOULD-level case: runs with strict mode"},
			{ID: "afb/4.3/1", Section: "4.3", Title: "info thing", Level: conformance.Compat,
				Requirement: "r", Verdict: conformance.Info, Message: "server sent 3 frames", Log: []string{"x"}},
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestWriteText(t *testing.T) {
	var buf bytes.Buffer
	err := conformance.WriteText(&buf, sampleReport(), conformance.TextOptions{
		Sections: map[string]string{"1.1": "URL layout", "4.2": "Frames"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.txt", buf.Bytes())
}

func TestWriteJUnit(t *testing.T) {
	var buf bytes.Buffer
	err := conformance.WriteJUnit(&buf, map[string]map[string]string{"afb": {"1.1": "URL layout"}}, sampleReport())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.junit.xml", buf.Bytes())

	// The structure a CI system reads: a failed assertion is a <failure>,
	// a harness problem an <error>, and the counts add up.
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Package string `xml:"package,attr"`
			Cases   []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
				Error   *struct{} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 5 || doc.Failures != 1 || doc.Errors != 1 || doc.Skipped != 1 || len(doc.Suites) != 3 {
		t.Fatalf("counts: %+v", doc)
	}
	if c := doc.Suites[0].Cases[1]; c.Failure == nil || c.Error != nil {
		t.Errorf("failed assertion not a <failure>: %+v", c)
	}
	if c := doc.Suites[1].Cases[0]; c.Error == nil || c.Failure != nil {
		t.Errorf("harness error not an <error>: %+v", c)
	}
}

func TestWriteJSONRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	rep := sampleReport()
	if err := conformance.WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var back struct{ Reports []*conformance.Report }
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Reports) != 1 || !reflect.DeepEqual(back.Reports[0], rep) {
		t.Fatalf("JSON round trip changed the report:\n%s", buf.Bytes())
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"verdict": "FAIL"`)) || !bytes.Contains(buf.Bytes(), []byte(`"level": "COMPAT"`)) {
		t.Errorf("verdicts and levels are not written by name:\n%s", buf.Bytes())
	}
}
