package main

import (
	"flag"
	"io"
	"reflect"
	"testing"
)

func TestParseArgsInterspersed(t *testing.T) {
	tests := []struct {
		args     []string
		wantPos  []string
		wantTok  string
		wantList []string
	}{
		{[]string{"afb", "http://x/api", "--token", "T"}, []string{"afb", "http://x/api"}, "T", nil},
		{[]string{"--token=T", "afb", "--run", "afb/1,afb/4", "http://x/api", "--run", "afb/3"},
			[]string{"afb", "http://x/api"}, "T", []string{"afb/1", "afb/4", "afb/3"}},
		{[]string{"afb", "--", "--token"}, []string{"afb", "--token"}, "", nil},
		{nil, nil, "", nil},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		tok := fs.String("token", "", "")
		var list listFlag
		fs.Var(&list, "run", "")
		pos, err := parseArgs(fs, tt.args)
		if err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		if !reflect.DeepEqual(pos, tt.wantPos) || *tok != tt.wantTok || !reflect.DeepEqual([]string(list), tt.wantList) {
			t.Errorf("%q: pos %q token %q run %q; want %q %q %q", tt.args, pos, *tok, list, tt.wantPos, tt.wantTok, tt.wantList)
		}
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := parseArgs(fs, []string{"a", "--nope"}); err == nil {
		t.Error("unknown flag accepted")
	}
}
