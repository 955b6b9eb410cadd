package main

import (
	"flag"
	"strings"
)

// parseArgs parses flags that may come before, between or after the
// positional arguments ("conform afb URL --token T" as well as
// "conform --token T afb URL") and returns the positional ones.
// A lone "--" ends flag parsing.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at the first non-flag, or after "--".
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// listFlag is a repeatable flag whose values may also be comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// firstPositional returns the first argument that is neither a flag nor a
// flag's value, or "". A flag takes the next argument as its value unless
// it is boolean or written -name=value; sets are the flag sets whose flags
// may come before the positional argument (the first that knows a name
// decides). Commands whose flags depend on their first positional
// argument (the protocol) call it before parsing.
func firstPositional(args []string, sets ...*flag.FlagSet) string {
	takesValue := func(name string) bool {
		for _, fs := range sets {
			if fl := fs.Lookup(name); fl != nil {
				b, ok := fl.Value.(interface{ IsBoolFlag() bool })
				return !ok || !b.IsBoolFlag()
			}
		}
		return false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) {
				return args[i+1]
			}
			return ""
		case len(a) > 1 && a[0] == '-':
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && takesValue(name) {
				i++
			}
		default:
			return a
		}
	}
	return ""
}
