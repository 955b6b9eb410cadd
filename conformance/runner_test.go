package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
)

func mkCase(id string, level conformance.Level, run func(context.Context, *conformance.T)) conformance.Case {
	return conformance.Case{ID: id, Title: "title of " + id, Level: level, Requirement: "requirement of " + id, Run: run}
}

func run(t *testing.T, r conformance.Runner, s *conformance.Suite) *conformance.Report {
	t.Helper()
	rep, err := r.Run(context.Background(), s, conformance.Target{URL: "x://target", Params: map[string]string{"token": "T0"}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func verdicts(rep *conformance.Report) map[string]conformance.Verdict {
	m := map[string]conformance.Verdict{}
	for _, r := range rep.Results {
		m[r.ID] = r.Verdict
	}
	return m
}

func TestRunnerVerdicts(t *testing.T) {
	s := &conformance.Suite{Name: "p", Title: "P", Cases: []conformance.Case{
		mkCase("p/1/1", conformance.Must, func(ctx context.Context, t *conformance.T) {
			if t.Param("token") != "T0" || t.URL() != "x://target" {
				t.Failf("params passed through", "token %q url %q", t.Param("token"), t.URL())
			}
		}),
		mkCase("p/1/2", conformance.Must, func(ctx context.Context, t *conformance.T) {
			t.Sent("hello")
			t.Received("bye")
			t.Failf("a reply", "close %d", 1008)
			panic("not reached: Failf must end the case")
		}),
		mkCase("p/1/3", conformance.Must, func(ctx context.Context, t *conformance.T) { t.Skipf("no %s", "feature") }),
		mkCase("p/1/4", conformance.Compat, func(ctx context.Context, t *conformance.T) { t.Infof("saw %d", 4) }),
		mkCase("p/1/5", conformance.Must, func(ctx context.Context, t *conformance.T) {
			t.Check(errors.New("connection refused"), "dial")
		}),
		mkCase("p/1/6", conformance.Must, func(ctx context.Context, t *conformance.T) { panic("boom") }),
		mkCase("p/1/7", conformance.Must, func(ctx context.Context, t *conformance.T) {
			t.Fail([]string{"a", "b"}, "c")
		}),
	}}
	rep := run(t, conformance.Runner{}, s)
	want := map[string]conformance.Verdict{
		"p/1/1": conformance.Pass, "p/1/2": conformance.Fail, "p/1/3": conformance.Skip,
		"p/1/4": conformance.Info, "p/1/5": conformance.Error, "p/1/6": conformance.Error, "p/1/7": conformance.Fail,
	}
	if got := verdicts(rep); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("verdicts = %v, want %v", got, want)
	}
	r2, _ := rep.Find("p/1/2")
	if len(r2.Expected) != 1 || r2.Expected[0] != "a reply" || r2.Actual != "close 1008" {
		t.Errorf("p/1/2 expected/actual = %q/%q", r2.Expected, r2.Actual)
	}
	if len(r2.Wire) != 2 || r2.Wire[0].Dir != conformance.Sent || r2.Wire[1].Text != "bye" {
		t.Errorf("p/1/2 wire = %+v", r2.Wire)
	}
	if r, _ := rep.Find("p/1/5"); !strings.Contains(r.Message, "dial: connection refused") {
		t.Errorf("p/1/5 message = %q", r.Message)
	}
	if r, _ := rep.Find("p/1/6"); !strings.Contains(r.Message, "panicked: boom") {
		t.Errorf("p/1/6 message = %q", r.Message)
	}
	if r, _ := rep.Find("p/1/3"); r.Message != "no feature" {
		t.Errorf("p/1/3 message = %q", r.Message)
	}
	c := rep.Counts()
	if c != (conformance.Counts{Total: 7, Passed: 1, Failed: 2, Skipped: 1, Info: 1, Errors: 2}) {
		t.Errorf("counts = %+v", c)
	}
	if rep.OK() {
		t.Error("report with failures is OK")
	}
}

func TestRunnerNeverHangs(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	s := &conformance.Suite{Name: "p", Cases: []conformance.Case{
		// Honours its context: ends as an error when the timeout hits.
		mkCase("p/1/1", conformance.Must, func(ctx context.Context, t *conformance.T) {
			<-ctx.Done()
		}),
		// Ignores its context entirely: abandoned after the grace period.
		mkCase("p/1/2", conformance.Must, func(ctx context.Context, t *conformance.T) {
			<-block
		}),
		// Reads until the context ends, then claims success: still an error,
		// because waiting is what timed out.
		mkCase("p/1/3", conformance.Must, func(ctx context.Context, t *conformance.T) {
			<-ctx.Done()
			t.Logf("gave up")
		}),
	}}
	done := make(chan *conformance.Report)
	go func() { done <- run(t, conformance.Runner{Timeout: 20 * time.Millisecond, Parallel: 3}, s) }()
	var rep *conformance.Report
	select {
	case rep = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("runner hung on a case that ignores its context")
	}
	for _, r := range rep.Results {
		if r.Verdict != conformance.Error {
			t.Errorf("%s: verdict %v (%s), want ERROR", r.ID, r.Verdict, r.Message)
		}
	}
	if r, _ := rep.Find("p/1/1"); !strings.Contains(r.Message, "timed out after 20ms") {
		t.Errorf("p/1/1 message = %q", r.Message)
	}
	if r, _ := rep.Find("p/1/2"); !strings.Contains(r.Message, "abandoned") {
		t.Errorf("p/1/2 message = %q", r.Message)
	}
}

func TestRunnerCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &conformance.Suite{Name: "p", Cases: []conformance.Case{
		mkCase("p/1/1", conformance.Must, func(ctx context.Context, t *conformance.T) { cancel(); <-ctx.Done() }),
		mkCase("p/1/2", conformance.Must, func(ctx context.Context, t *conformance.T) {}),
	}}
	rep, err := (&conformance.Runner{Timeout: time.Minute}).Run(ctx, s, conformance.Target{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Verdict != conformance.Error || !strings.Contains(r.Message, "cancel") {
			t.Errorf("%s: %v %q, want ERROR run cancelled", r.ID, r.Verdict, r.Message)
		}
	}
}

func TestRunnerSelection(t *testing.T) {
	var mu sync.Mutex
	ran := map[string]bool{}
	mark := func(ctx context.Context, t *conformance.T) {
		mu.Lock()
		defer mu.Unlock()
		ran[t.Profile()+":"+fmt.Sprint(t.Strict())] = true
	}
	s := &conformance.Suite{
		Name:     "p",
		Profiles: []conformance.Profile{{Name: "new"}, {Name: "old"}},
		Cases: []conformance.Case{
			mkCase("p/4/1", conformance.Must, mark),
			mkCase("p/4.2/1", conformance.Must, mark),
			mkCase("p/4.2/10", conformance.Should, mark),
			mkCase("p/40/1", conformance.Must, mark),
			{ID: "p/5/1", Title: "old only", Level: conformance.Compat, Requirement: "r", Profiles: []string{"old"}, Run: mark},
		},
	}
	tests := []struct {
		name   string
		runner conformance.Runner
		want   map[string]conformance.Verdict
	}{
		{"all default", conformance.Runner{}, map[string]conformance.Verdict{
			"p/4/1": conformance.Pass, "p/4.2/1": conformance.Pass, "p/4.2/10": conformance.Skip,
			"p/40/1": conformance.Pass, "p/5/1": conformance.Skip}},
		{"strict old", conformance.Runner{Strict: true, Profile: "old"}, map[string]conformance.Verdict{
			"p/4/1": conformance.Pass, "p/4.2/1": conformance.Pass, "p/4.2/10": conformance.Pass,
			"p/40/1": conformance.Pass, "p/5/1": conformance.Pass}},
		{"section prefix", conformance.Runner{Only: []string{"p/4"}}, map[string]conformance.Verdict{
			"p/4/1": conformance.Pass, "p/4.2/1": conformance.Pass, "p/4.2/10": conformance.Skip}},
		{"exact id", conformance.Runner{Only: []string{"p/4.2/1"}}, map[string]conformance.Verdict{
			"p/4.2/1": conformance.Pass}},
		{"two prefixes", conformance.Runner{Only: []string{"p/40", "p/5/"}}, map[string]conformance.Verdict{
			"p/40/1": conformance.Pass, "p/5/1": conformance.Skip}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := run(t, tt.runner, s)
			if got := verdicts(rep); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("verdicts = %v, want %v", got, tt.want)
			}
		})
	}
	if !ran["new:false"] || !ran["old:true"] {
		t.Errorf("profile and strictness not passed to cases: %v", ran)
	}
	_, err := (&conformance.Runner{Profile: "nope"}).Run(context.Background(), s, conformance.Target{})
	if !errors.Is(err, conformance.ErrUnknownProfile) {
		t.Errorf("unknown profile: err = %v", err)
	}
}

func TestRunnerParallelKeepsOrder(t *testing.T) {
	var cases []conformance.Case
	for i := range 20 {
		d := time.Duration(20-i) * time.Millisecond
		cases = append(cases, mkCase(fmt.Sprintf("p/1/%d", i), conformance.Must, func(ctx context.Context, t *conformance.T) {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}))
	}
	var progress []string
	r := conformance.Runner{Parallel: 8, Progress: func(r conformance.Result) { progress = append(progress, r.ID) }}
	rep := run(t, r, &conformance.Suite{Name: "p", Cases: cases})
	for i, res := range rep.Results {
		if res.ID != cases[i].ID || res.Verdict != conformance.Pass {
			t.Fatalf("result %d = %s %v, want %s PASS", i, res.ID, res.Verdict, cases[i].ID)
		}
	}
	if len(progress) != len(cases) {
		t.Errorf("progress called %d times, want %d", len(progress), len(cases))
	}
}

func TestWireLogBounded(t *testing.T) {
	s := &conformance.Suite{Name: "p", Cases: []conformance.Case{
		mkCase("p/1/1", conformance.Must, func(ctx context.Context, t *conformance.T) {
			for i := range 100 {
				t.Received("frame %d %s", i, strings.Repeat("x", 10000))
			}
			t.Failf("nothing", "a flood")
		}),
	}}
	r := run(t, conformance.Runner{}, s).Results[0]
	if len(r.Wire) != 32 || r.WireDropped != 68 {
		t.Fatalf("kept %d entries, dropped %d; want 32 and 68", len(r.Wire), r.WireDropped)
	}
	if !strings.HasPrefix(r.Wire[0].Text, "frame 68 ") || len(r.Wire[0].Text) > 600 {
		t.Errorf("first kept entry %.20q (len %d)", r.Wire[0].Text, len(r.Wire[0].Text))
	}
}

func TestValidate(t *testing.T) {
	ok := func(ctx context.Context, t *conformance.T) {}
	s := &conformance.Suite{Name: "p", Profiles: []conformance.Profile{{Name: "a"}}, Cases: []conformance.Case{
		mkCase("p/1/1", conformance.Must, ok),
		mkCase("p/1/1", conformance.Must, ok),           // duplicate
		mkCase("q/1/1", conformance.Must, ok),           // wrong protocol
		mkCase("p/1", conformance.Must, ok),             // no section
		{ID: "p/2/1", Level: conformance.Must, Run: ok}, // no title, no requirement
		mkCase("p/2/2", 0, ok),                          // no level
		mkCase("p/2/3", conformance.Must, nil),          // no Run
		{ID: "p/2/4", Title: "t", Requirement: "r", Level: conformance.Must, Run: ok, Profiles: []string{"b"}},
	}}
	err := s.Validate()
	if !errors.Is(err, conformance.ErrInvalidSuite) {
		t.Fatalf("Validate = %v", err)
	}
	for _, want := range []string{"duplicate ID", "does not start with the suite name", "no section", "no title",
		"no requirement", "no level", "no Run", "unknown profile b"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), `"p/1/1"): duplicate`) == false {
		t.Errorf("duplicate not attributed to p/1/1: %v", err)
	}
	if _, err := (&conformance.Runner{}).Run(context.Background(), s, conformance.Target{}); err == nil {
		t.Error("Run accepted an invalid suite")
	}
}
