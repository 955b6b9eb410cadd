package fuzz

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Level says how binding a broken rule is.
type Level string

const (
	Must   Level = "MUST"   // a violation fails the run
	Should Level = "SHOULD" // reported, does not fail the run
)

// Input is one generated input, reproducible from the seed and Index.
type Input struct {
	Seed      int64  // of the run; set when the input is reported
	Index     int    // position in the run: the same Seed and Index give the same Input
	Transport string // "ws", "http" or "frame"
	Mutation  string // how it was made, e.g. "truncate", "fragment+bad-code"
	Message   []byte // ws: the message text before framing; http: the raw request; frame: the frames after HELLO
	Wire      []byte // the exact bytes written on the connection (after the WebSocket handshake)
	Expect    string // what the peer must do, for humans
}

// Violation is a broken rule, with the input that showed it.
type Violation struct {
	Level Level
	Rule  string // the rule and where it comes from
	Got   string // what the peer did
	Input *Input // nil for a failed liveness probe not tied to one input
	Batch []int  // for a failed liveness probe: the indexes of the last batch
}

func (v *Violation) String() string {
	s := fmt.Sprintf("%s violated: %s\n    got: %s", v.Level, v.Rule, v.Got)
	if in := v.Input; in != nil {
		s += fmt.Sprintf("\n    input #%d of seed %d (%s, %s; expected %s): %s", in.Index, in.Seed, in.Transport, in.Mutation, in.Expect, quoteShort(in.Message, 300))
		if len(in.Wire) > 0 && string(in.Wire) != string(in.Message) {
			s += fmt.Sprintf("\n    bytes on the wire: %s", quoteShort(in.Wire, 600))
		}
	}
	if len(v.Batch) > 0 {
		s += fmt.Sprintf("\n    after inputs #%d-#%d", v.Batch[0], v.Batch[len(v.Batch)-1])
	}
	return s
}

// Report is the outcome of a run.
type Report struct {
	Target     string
	Seed       int64
	Inputs     int            // inputs sent
	Transports map[string]int // inputs per transport ("ws", "http", "frame")
	Probes     int            // liveness probes passed
	Throttled  int            // inputs the peer refused for a quota (see Options.Rate)
	Elapsed    time.Duration
	PeerDown   bool        // a liveness probe failed; the run stopped there
	Violations []Violation // at most Options.MaxViolations
	Dropped    int         // violations beyond MaxViolations, counted only
}

// Failed reports whether a MUST-level rule was broken.
func (r *Report) Failed() bool {
	for _, v := range r.Violations {
		if v.Level == Must {
			return true
		}
	}
	return r.PeerDown
}

// WriteText writes the report for humans.
func (r *Report) WriteText(w io.Writer) error {
	var per []string
	for _, t := range slices.Sorted(maps.Keys(r.Transports)) {
		per = append(per, fmt.Sprintf("%d %s", r.Transports[t], t))
	}
	_, err := fmt.Fprintf(w, "fuzzed %s for %s with seed %d: %d inputs (%s), %d liveness probes passed\n",
		r.Target, r.Elapsed.Round(time.Millisecond), r.Seed, r.Inputs, strings.Join(per, ", "), r.Probes)
	if err != nil {
		return err
	}
	if r.Throttled > 0 {
		fmt.Fprintf(w, "%d inputs were refused by the peer's quota and not judged: lower --rate\n", r.Throttled)
	}
	for i := range r.Violations {
		if _, err := fmt.Fprintf(w, "\n%s\n", r.Violations[i].String()); err != nil {
			return err
		}
	}
	if r.Dropped > 0 {
		fmt.Fprintf(w, "\n... and %d more violations\n", r.Dropped)
	}
	verdict := "no violation"
	switch {
	case r.PeerDown:
		verdict = "FAILED: the peer went down"
	case r.Failed():
		verdict = "FAILED"
	case len(r.Violations) > 0:
		verdict = "passed with SHOULD-level violations"
	}
	_, err = fmt.Fprintf(w, "\n%s (reproduce with seed %d)\n", verdict, r.Seed)
	return err
}

func quoteShort(b []byte, n int) string {
	if len(b) <= n {
		return strconv.Quote(string(b))
	}
	return strconv.Quote(string(b[:n])) + fmt.Sprintf("... (%d bytes)", len(b))
}
