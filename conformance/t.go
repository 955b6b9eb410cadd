package conformance

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Target is the implementation under test and the setup inputs for it.
type Target struct {
	// URL of the implementation (for example "http://127.0.0.1:1234/api").
	URL string
	// Params holds the values of the suite's Params by name.
	Params map[string]string
}

// Direction of a wire log entry.
type Direction string

// Directions.
const (
	Sent     Direction = ">>"
	Received Direction = "<<"
	Note     Direction = "--"
)

// WireEntry is one frame or message exchanged with the target.
type WireEntry struct {
	Dir  Direction     `json:"dir"`
	At   time.Duration `json:"at_ns"` // since the case started
	Text string        `json:"text"`
}

// Wire log bounds: a case keeps the last maxWire entries, each cut to
// maxWireText bytes, so a hostile target cannot grow a report without bound.
const (
	maxWire     = 32
	maxWireText = 512
)

// T is handed to a case's Run function. Its methods may be called from
// several goroutines, except the ones that end the case (Failf, Fail,
// Errorf, Skipf, Infof, Check), which must be called from the goroutine
// running Run.
type T struct {
	target  Target
	params  []Param
	profile string
	strict  bool
	start   time.Time

	mu       sync.Mutex
	verdict  Verdict
	expected []string
	actual   string
	message  string
	logs     []string
	wire     []WireEntry
	dropped  int
}

func newT(target Target, params []Param, profile string, strict bool) *T {
	return &T{target: target, params: params, profile: profile, strict: strict, start: time.Now()}
}

// URL returns the target's URL.
func (t *T) URL() string { return t.target.URL }

// Param returns the value of the suite parameter name: the target's
// value when it sets a non-empty one, else the parameter's Default ("" for
// a name the suite does not declare).
func (t *T) Param(name string) string {
	if v := t.target.Params[name]; v != "" {
		return v
	}
	for _, p := range t.params {
		if p.Name == name {
			return p.Default
		}
	}
	return ""
}

// ParamInt returns the parameter as an int; ok is false when it is empty
// (no value and no default). A value that is not an integer ends the case
// with verdict Error (Runner.Run refuses it up front for a ParamInt).
// Like Errorf, call it from the goroutine running Run.
func (t *T) ParamInt(name string) (n int, ok bool) {
	s := t.Param(name)
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Errorf("parameter %s=%q is not an integer", name, s)
	}
	return n, true
}

// ParamDuration is ParamInt for a Go duration ("1.5s").
func (t *T) ParamDuration(name string) (d time.Duration, ok bool) {
	s := t.Param(name)
	if s == "" {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Errorf("parameter %s=%q is not a duration (e.g. 1.5s)", name, s)
	}
	return d, true
}

// ParamBool is ParamInt for a boolean (strconv.ParseBool).
func (t *T) ParamBool(name string) (b bool, ok bool) {
	s := t.Param(name)
	if s == "" {
		return false, false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		t.Errorf("parameter %s=%q is not a boolean", name, s)
	}
	return b, true
}

// Profile returns the profile the suite runs under.
func (t *T) Profile() string { return t.profile }

// Strict reports whether SHOULD-level cases are being run.
func (t *T) Strict() bool { return t.strict }

// Logf adds a line to the case's log, shown with a failure.
func (t *T) Logf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.logs) < maxWire {
		t.logs = append(t.logs, clip(fmt.Sprintf(format, args...)))
	}
}

// Sent records a frame or message sent to the target.
func (t *T) Sent(format string, args ...any) { t.record(Sent, format, args) }

// Received records a frame or message received from the target.
func (t *T) Received(format string, args ...any) { t.record(Received, format, args) }

// Notef records an event on the wire that is neither (a close, a timeout).
func (t *T) Notef(format string, args ...any) { t.record(Note, format, args) }

func (t *T) record(d Direction, format string, args []any) {
	text := format
	if len(args) > 0 {
		text = fmt.Sprintf(format, args...)
	}
	e := WireEntry{Dir: d, At: time.Since(t.start), Text: clip(text)}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.wire) == maxWire {
		copy(t.wire, t.wire[1:])
		t.wire = t.wire[:maxWire-1]
		t.dropped++
	}
	t.wire = append(t.wire, e)
}

func clip(s string) string {
	if len(s) <= maxWireText {
		return s
	}
	return s[:maxWireText] + fmt.Sprintf("… (%d bytes)", len(s))
}

// Fail ends the case with verdict Fail: the target's behaviour contradicts
// the requirement. expected lists the acceptable behaviours (one line each),
// actual says what was seen.
func (t *T) Fail(expected []string, actual string) {
	t.end(Fail, expected, actual, "")
}

// Failf is Fail with one expected line and a formatted actual.
func (t *T) Failf(expected string, actualFormat string, args ...any) {
	t.end(Fail, []string{expected}, fmt.Sprintf(actualFormat, args...), "")
}

// Errorf ends the case with verdict Error: the harness could not judge
// (the target is unreachable, a setup input is missing).
func (t *T) Errorf(format string, args ...any) {
	t.end(Error, nil, "", fmt.Sprintf(format, args...))
}

// Check ends the case with verdict Error when err is not nil. Use it for
// steps whose failure says nothing about conformance, such as dialing.
func (t *T) Check(err error, what string) {
	if err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// Skipf ends the case with verdict Skip and the reason.
func (t *T) Skipf(format string, args ...any) {
	t.end(Skip, nil, "", fmt.Sprintf(format, args...))
}

// Infof ends the case with verdict Info: what was observed is reported
// but the spec leaves it open.
func (t *T) Infof(format string, args ...any) {
	t.end(Info, nil, "", fmt.Sprintf(format, args...))
}

func (t *T) end(v Verdict, expected []string, actual, message string) {
	t.mu.Lock()
	if t.verdict == 0 {
		t.verdict, t.expected, t.actual, t.message = v, expected, actual, message
	}
	t.mu.Unlock()
	runtime.Goexit()
}

// setVerdict sets a verdict from outside the case goroutine (runner use).
func (t *T) setVerdict(v Verdict, message string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.verdict == 0 {
		t.verdict, t.message = v, message
	}
}

func (t *T) result(c *Case, d time.Duration) Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := Result{
		ID:          c.ID,
		Section:     c.Section(),
		Title:       c.Title,
		Level:       c.Level,
		Requirement: c.Requirement,
		Verdict:     t.verdict,
		Expected:    t.expected,
		Actual:      t.actual,
		Message:     t.message,
		Log:         append([]string(nil), t.logs...),
		Wire:        append([]WireEntry(nil), t.wire...),
		WireDropped: t.dropped,
		Duration:    d,
	}
	if r.Verdict == 0 {
		r.Verdict = Pass
	}
	return r
}

// ctxErrText describes why a context ended, for wire logs.
func ctxErrText(ctx context.Context) string {
	if err := context.Cause(ctx); err != nil {
		return strings.TrimPrefix(err.Error(), "context ")
	}
	return "context done"
}
