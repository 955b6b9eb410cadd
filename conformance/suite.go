package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
// a user's credentials. The command line offers each as a flag.
type Param struct {
	Name    string
	Usage   string
	Default string
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
	return errors.Join(errs...)
}
