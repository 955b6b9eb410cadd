package conformance_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
)

// T.Param falls back to the parameter's default; the typed getters parse
// it; a value that does not parse as its kind is refused before any case
// runs.
func TestParamDefaultsAndTypes(t *testing.T) {
	type seen struct {
		s        string
		n        int
		nOK      bool
		d        time.Duration
		b, bOK   bool
		missing  string
		emptyInt bool
	}
	var got seen
	s := &conformance.Suite{Name: "p", Title: "P",
		Params: []conformance.Param{
			{Name: "name", Default: "dflt"},
			{Name: "count", Default: "7", Kind: conformance.ParamInt},
			{Name: "wait", Default: "1.5s", Kind: conformance.ParamDuration},
			{Name: "flag", Kind: conformance.ParamBool},
			{Name: "none", Kind: conformance.ParamInt},
		},
		Cases: []conformance.Case{mkCase("p/1/1", conformance.Must, func(ctx context.Context, t *conformance.T) {
			got.s = t.Param("name")
			got.n, got.nOK = t.ParamInt("count")
			got.d, _ = t.ParamDuration("wait")
			got.b, got.bOK = t.ParamBool("flag")
			got.missing = t.Param("undeclared")
			_, ok := t.ParamInt("none")
			got.emptyInt = !ok
		})},
	}
	r := conformance.Runner{}
	if _, err := r.Run(context.Background(), s, conformance.Target{URL: "x://"}); err != nil {
		t.Fatal(err)
	}
	want := seen{s: "dflt", n: 7, nOK: true, d: 1500 * time.Millisecond, missing: "", emptyInt: true}
	if got != want {
		t.Errorf("defaults: got %+v, want %+v", got, want)
	}
	params := map[string]string{"name": "set", "count": "9", "wait": "2s", "flag": "true"}
	if _, err := r.Run(context.Background(), s, conformance.Target{URL: "x://", Params: params}); err != nil {
		t.Fatal(err)
	}
	want = seen{s: "set", n: 9, nOK: true, d: 2 * time.Second, b: true, bOK: true, emptyInt: true}
	if got != want {
		t.Errorf("set values: got %+v, want %+v", got, want)
	}
	for name, bad := range map[string]string{"count": "seven", "wait": "2", "flag": "maybe"} {
		_, err := r.Run(context.Background(), s, conformance.Target{URL: "x://", Params: map[string]string{name: bad}})
		if !errors.Is(err, conformance.ErrBadParam) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err %v, want ErrBadParam naming it", name, bad, err)
		}
	}
	s.Params[1].Default = "x"
	if err := s.Validate(); !errors.Is(err, conformance.ErrInvalidSuite) {
		t.Errorf("a default that does not parse as its kind: %v", err)
	}
}

// A probe that fails before the first case: no case runs, the error is
// ErrUnreachable, the report says why (for report files).
func TestProbeUnreachable(t *testing.T) {
	var ran atomic.Int32
	s := &conformance.Suite{Name: "p", Title: "P",
		Probe: func(ctx context.Context, tg conformance.Target) error { return errors.New("connection refused") },
		Cases: []conformance.Case{mkCase("p/1/1", conformance.Must, func(ctx context.Context, t *conformance.T) { ran.Add(1) })},
	}
	rep, err := (&conformance.Runner{}).Run(context.Background(), s, conformance.Target{URL: "x://dead"})
	if !errors.Is(err, conformance.ErrUnreachable) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("err %v", err)
	}
	if ran.Load() != 0 || rep == nil || rep.Unreachable != "connection refused" || len(rep.Results) != 0 || rep.OK() {
		t.Fatalf("ran %d, report %+v", ran.Load(), rep)
	}
	var junit bytes.Buffer
	if err := conformance.WriteJUnit(&junit, nil, rep); err != nil || !strings.Contains(junit.String(), `errors="1"`) || !strings.Contains(junit.String(), "connection refused") {
		t.Errorf("JUnit of an unreachable target: %v\n%s", err, junit.String())
	}
}

// A target that stops answering in the middle of a run is reported once:
// the case during which it went, the last one it answered, the cases not
// run; no later case is run or failed.
func TestProbeStoppedMidRun(t *testing.T) {
	var down atomic.Bool
	var ran atomic.Int32
	var cases []conformance.Case
	for i := 1; i <= 6; i++ {
		id := "p/1/" + string(rune('0'+i))
		cases = append(cases, mkCase(id, conformance.Must, func(ctx context.Context, t *conformance.T) {
			ran.Add(1)
			if id == "p/1/3" {
				down.Store(true) // this case crashes the target
			}
			if down.Load() {
				t.Errorf("dial: connection refused")
			}
		}))
	}
	var probes atomic.Int32
	s := &conformance.Suite{Name: "p", Title: "P", Cases: cases,
		Probe: func(ctx context.Context, tg conformance.Target) error {
			probes.Add(1)
			if down.Load() {
				return errors.New("connection refused")
			}
			return nil
		},
	}
	rep, err := (&conformance.Runner{}).Run(context.Background(), s, conformance.Target{URL: "x://t"})
	if err != nil {
		t.Fatal(err)
	}
	st := rep.Stopped
	if st == nil || st.During != "p/1/3" || st.After != "p/1/2" || len(st.NotRun) != 3 || st.NotRun[0] != "p/1/4" {
		t.Fatalf("stopped %+v", st)
	}
	if ran.Load() != 3 || len(rep.Results) != 3 || rep.OK() {
		t.Fatalf("ran %d cases, %d results, OK %v", ran.Load(), len(rep.Results), rep.OK())
	}
	// One probe before the run, two (the retry) after the erring case.
	if probes.Load() != 3 {
		t.Errorf("%d probes", probes.Load())
	}
	if !strings.Contains(st.String(), "p/1/3") || !strings.Contains(st.String(), "3 cases not run") {
		t.Errorf("String: %s", st.String())
	}
	var junit bytes.Buffer
	if err := conformance.WriteJUnit(&junit, nil, rep); err != nil || !strings.Contains(junit.String(), "target stopped answering") {
		t.Errorf("JUnit of a stopped target: %v\n%s", err, junit.String())
	}

	// In parallel, no case starts after the target is found gone.
	down.Store(false)
	ran.Store(0)
	rep, err = (&conformance.Runner{Parallel: 2}).Run(context.Background(), s, conformance.Target{URL: "x://t"})
	if err != nil || rep.Stopped == nil || int(ran.Load())+len(rep.Stopped.NotRun) != 6 || len(rep.Results) != int(ran.Load()) {
		t.Fatalf("parallel: err %v, ran %d, report %+v", err, ran.Load(), rep.Stopped)
	}
}
