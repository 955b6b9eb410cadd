package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Result is the outcome of one case.
type Result struct {
	ID          string        `json:"id"`
	Section     string        `json:"section"`
	Title       string        `json:"title"`
	Level       Level         `json:"level"`
	Requirement string        `json:"requirement"`
	Verdict     Verdict       `json:"verdict"`
	Expected    []string      `json:"expected,omitempty"`
	Actual      string        `json:"actual,omitempty"`
	Message     string        `json:"message,omitempty"`
	Log         []string      `json:"log,omitempty"`
	Wire        []WireEntry   `json:"wire,omitempty"`
	WireDropped int           `json:"wire_dropped,omitempty"`
	Duration    time.Duration `json:"duration_ns"`
}

// Report is the outcome of running a suite against a target.
type Report struct {
	Suite    string        `json:"suite"`
	Title    string        `json:"title"`
	Target   string        `json:"target"`
	Profile  string        `json:"profile"`
	Strict   bool          `json:"strict"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Results  []Result      `json:"results"`
	// Stopped is set when the target stopped answering during the run:
	// the cases after that point were not run and are not in Results.
	Stopped *Stopped `json:"stopped,omitempty"`
	// Unreachable, when not empty, says why no case ran: the suite's
	// probe could not reach the target.
	Unreachable string `json:"unreachable,omitempty"`
}

// Stopped says when and why a run ended early because the target stopped
// answering (Suite.Probe failed after a case).
type Stopped struct {
	// During is the case whose failure or error led to the probe that
	// failed; After is the last case that ended before it ("" when it was
	// the first).
	During string `json:"during"`
	After  string `json:"after,omitempty"`
	// Reason is the probe's error.
	Reason string `json:"reason"`
	// NotRun lists the IDs of the selected cases that were not run.
	NotRun []string `json:"not_run"`
}

// String says it in one line.
func (s *Stopped) String() string {
	msg := fmt.Sprintf("the target stopped answering during %s", s.During)
	if s.After != "" {
		msg += fmt.Sprintf(" (it answered until %s ended)", s.After)
	}
	return msg + fmt.Sprintf(": %s; %d cases not run", s.Reason, len(s.NotRun))
}

// Counts tallies the verdicts of a report.
type Counts struct {
	Total, Passed, Failed, Skipped, Info, Errors int
}

// Counts tallies the report's verdicts.
func (r *Report) Counts() Counts {
	c := Counts{Total: len(r.Results)}
	for _, res := range r.Results {
		switch res.Verdict {
		case Pass:
			c.Passed++
		case Fail:
			c.Failed++
		case Skip:
			c.Skipped++
		case Info:
			c.Info++
		default:
			c.Errors++
		}
	}
	return c
}

// OK reports whether no case failed or errored, the target could be
// reached and it kept answering to the end.
func (r *Report) OK() bool {
	c := r.Counts()
	return c.Failed == 0 && c.Errors == 0 && r.Stopped == nil && r.Unreachable == ""
}

// Find returns the result of the case with the given ID.
func (r *Report) Find(id string) (Result, bool) {
	for _, res := range r.Results {
		if res.ID == id {
			return res, true
		}
	}
	return Result{}, false
}

// WriteJSON writes the reports as one indented JSON document:
// {"reports":[...]} with one entry per suite run.
func WriteJSON(w io.Writer, reports ...*Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Reports []*Report `json:"reports"`
	}{reports})
}
