package conformance

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Case is one black-box check of one requirement.
type Case struct {
	// ID is "protocol/section/n", for example "afb/4.2/3". The protocol
	// part is the suite's Name; the section is the spec section checked.
	ID string
	// Title says what is sent and what is expected, in one line.
	Title string
	// Level is the requirement level; Should cases run only in strict mode.
	Level Level
	// Requirement is the spec text the case checks, in words.
	Requirement string
	// Profiles, when not empty, restricts the case to these profiles.
	Profiles []string
	// Run talks to the target over fresh connections. ctx ends at the
	// case's timeout.
	Run func(ctx context.Context, t *T)
}

// Section returns the spec section part of the ID ("4.2" for "afb/4.2/3").
func (c *Case) Section() string {
	first := strings.IndexByte(c.ID, '/')
	last := strings.LastIndexByte(c.ID, '/')
	if first < 0 || last <= first {
		return ""
	}
	return c.ID[first+1 : last]
}

// inProfile reports whether the case runs under profile p.
func (c *Case) inProfile(p string) bool {
	if len(c.Profiles) == 0 {
		return true
	}
	for _, q := range c.Profiles {
		if q == p {
			return true
		}
	}
	return false
}

// Profile names one dialect of a protocol where upstream implementations
// disagree on the wire.
type Profile struct {
	Name        string
	Description string
}

// Param is a documented setup input of a suite, such as an initial token or
// a user's credentials. The command line offers each as a flag of that
// suite only. A case reads it with T.Param (or a typed getter), which
// falls back to Default when the target sets no value.
type Param struct {
	Name    string
	Usage   string
	Default string
	// Kind, when set, is checked by Runner.Run before any case runs, so
	// that a malformed value is a usage error rather than a case error.
	Kind ParamKind
}

// ParamKind is the type of a Param's value.
type ParamKind uint8

// Param kinds. The zero kind is free text.
const (
	ParamString   ParamKind = iota
	ParamInt                // a decimal integer (strconv.Atoi)
	ParamDuration           // a Go duration such as "1.5s" (time.ParseDuration)
	ParamBool               // strconv.ParseBool
)

// ErrBadParam is wrapped by the error Runner.Run returns when a parameter
// value does not parse as its Kind.
var ErrBadParam = errors.New("conformance: bad parameter")

// check returns an error when v does not parse as the kind.
func (k ParamKind) check(v string) error {
	var err error
	switch k {
	case ParamInt:
		_, err = strconv.Atoi(v)
	case ParamDuration:
		_, err = time.ParseDuration(v)
	case ParamBool:
		_, err = strconv.ParseBool(v)
	}
	return err
}

// Param returns the suite's parameter called name.
func (s *Suite) Param(name string) (Param, bool) {
	for _, p := range s.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// checkParams reports values that do not parse as their parameter's
// kind. Values of names the suite does not declare are ignored (T.Param
// still returns them).
func (s *Suite) checkParams(values map[string]string) error {
	var errs []error
	for name, v := range values {
		p, ok := s.Param(name)
		if !ok || v == "" {
			continue
		}
		if err := p.Kind.check(v); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s=%q: %v", ErrBadParam, name, v, err))
		}
	}
	return errors.Join(errs...)
}

// Suite is the set of cases for one protocol.
type Suite struct {
	// Name is the protocol key and the first part of every case ID.
	Name string
	// Title names the protocol and the spec the suite follows.
	Title string
	// Sections maps a section number to its title, for report headings.
	Sections map[string]string
	// Profiles lists the dialects; the first is the default. A suite with
	// no profiles has the single implicit profile "".
	Profiles []Profile
	// Params lists the setup inputs the cases read with T.Param.
	Params []Param
	// Probe, when set, checks once that the target can be reached at
	// all (it listens, it speaks the protocol's transport). Runner.Run
	// calls it before the first case and returns ErrUnreachable when it
	// fails; it calls it again after a case that errs or fails, and when
	// it fails then, stops the run and reports the target gone
	// (Report.Stopped) rather than erring every later case.
	Probe func(ctx context.Context, target Target) error
	// Cases in report order.
	Cases []Case
}

// DefaultProfile returns the name of the suite's default profile.
func (s *Suite) DefaultProfile() string {
	if len(s.Profiles) == 0 {
		return ""
	}
	return s.Profiles[0].Name
}

// HasProfile reports whether name is one of the suite's profiles.
func (s *Suite) HasProfile(name string) bool {
	if len(s.Profiles) == 0 {
		return name == ""
	}
	for _, p := range s.Profiles {
		if p.Name == name {
			return true
		}
	}
	return false
}

// ErrInvalidSuite is wrapped by the error Validate returns.
var ErrInvalidSuite = errors.New("conformance: invalid suite")

// Validate checks that every case is well formed: a unique ID under the
// suite's name with a section, a title, a level, a requirement, a Run
// function, and only known profiles.
func (s *Suite) Validate() error {
	if s.Name == "" || strings.Contains(s.Name, "/") {
		return fmt.Errorf("%w: bad name %q", ErrInvalidSuite, s.Name)
	}
	seen := make(map[string]bool, len(s.Cases))
	var errs []error
	for i := range s.Cases {
		c := &s.Cases[i]
		bad := func(what string) {
			errs = append(errs, fmt.Errorf("%w: case %d (%q): %s", ErrInvalidSuite, i, c.ID, what))
		}
		switch {
		case !strings.HasPrefix(c.ID, s.Name+"/"):
			bad("ID does not start with the suite name")
		case c.Section() == "":
			bad("ID has no section")
		case seen[c.ID]:
			bad("duplicate ID")
		}
		seen[c.ID] = true
		if c.Title == "" {
			bad("no title")
		}
		if c.Requirement == "" {
			bad("no requirement text")
		}
		if _, err := c.Level.MarshalText(); err != nil {
			bad("no level")
		}
		if c.Run == nil {
			bad("no Run function")
		}
		for _, p := range c.Profiles {
			if !s.HasProfile(p) {
				bad("unknown profile " + p)
			}
		}
	}
	params := map[string]bool{}
	for _, p := range s.Params {
		switch {
		case p.Name == "" || strings.ContainsAny(p.Name, " =\t"):
			errs = append(errs, fmt.Errorf("%w: bad parameter name %q", ErrInvalidSuite, p.Name))
		case params[p.Name]:
			errs = append(errs, fmt.Errorf("%w: duplicate parameter %q", ErrInvalidSuite, p.Name))
		case p.Default != "" && p.Kind.check(p.Default) != nil:
			errs = append(errs, fmt.Errorf("%w: parameter %q: default %q: %v", ErrInvalidSuite, p.Name, p.Default, p.Kind.check(p.Default)))
		}
		params[p.Name] = true
	}
	return errors.Join(errs...)
}
