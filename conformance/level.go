package conformance

import (
	"fmt"
)

// Level is the requirement level of a case.
type Level int

// Requirement levels.
const (
	// Must cases check an absolute requirement of the spec; they always run.
	Must Level = iota + 1
	// Should cases check a recommendation; they run only in strict mode.
	Should
	// Compat cases check behaviour of the upstream implementation that the
	// spec text does not require but that peers rely on on the wire; they
	// always run.
	Compat
)

var levelNames = [...]string{Must: "MUST", Should: "SHOULD", Compat: "COMPAT"}

func (l Level) String() string {
	if l > 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// MarshalText encodes the level as its name.
func (l Level) MarshalText() ([]byte, error) {
	if l <= 0 || int(l) >= len(levelNames) {
		return nil, fmt.Errorf("conformance: invalid level %d", int(l))
	}
	return []byte(levelNames[l]), nil
}

// UnmarshalText decodes a level name.
func (l *Level) UnmarshalText(b []byte) error {
	for i, n := range levelNames {
		if i > 0 && n == string(b) {
			*l = Level(i)
			return nil
		}
	}
	return fmt.Errorf("conformance: unknown level %q", b)
}

// Verdict is the outcome of one case.
type Verdict int

// Verdicts.
const (
	// Pass: the target behaved as the case requires.
	Pass Verdict = iota + 1
	// Fail: the target's behaviour contradicts the requirement.
	Fail
	// Skip: the case did not run (not selected by profile or strictness,
	// or the target lacks an optional feature); the result says why.
	Skip
	// Info: behaviour the spec leaves open was observed and reported.
	Info
	// Error: the harness could not judge (target unreachable, case timed
	// out, bad setup input).
	Error
)

var verdictNames = [...]string{Pass: "PASS", Fail: "FAIL", Skip: "SKIP", Info: "INFO", Error: "ERROR"}

func (v Verdict) String() string {
	if v > 0 && int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// MarshalText encodes the verdict as its name.
func (v Verdict) MarshalText() ([]byte, error) {
	if v <= 0 || int(v) >= len(verdictNames) {
		return nil, fmt.Errorf("conformance: invalid verdict %d", int(v))
	}
	return []byte(verdictNames[v]), nil
}

// UnmarshalText decodes a verdict name.
func (v *Verdict) UnmarshalText(b []byte) error {
	for i, n := range verdictNames {
		if i > 0 && n == string(b) {
			*v = Verdict(i)
			return nil
		}
	}
	return fmt.Errorf("conformance: unknown verdict %q", b)
}
