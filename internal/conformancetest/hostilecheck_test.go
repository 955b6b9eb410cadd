package conformancetest

import (
	"testing"

	"github.com/appwire/appwire/conformance"
)

func TestHostileCheckJudge(t *testing.T) {
	up := HostileTarget{Name: "silent"}
	down := HostileTarget{Name: "down", Down: true}
	res := func(v conformance.Verdict, msg string) conformance.Result {
		return conformance.Result{ID: "p/1/1", Verdict: v, Message: msg}
	}
	h := HostileCheck{FailOnly: true, AcceptSkip: func(r conformance.Result) bool { return r.Message == "no param" }}
	tests := []struct {
		target HostileTarget
		res    conformance.Result
		ok     bool
	}{
		{up, res(conformance.Fail, ""), true},
		{up, res(conformance.Error, "read timeout"), false}, // FailOnly
		{up, res(conformance.Pass, ""), false},
		{up, res(conformance.Info, "x"), false},
		{up, res(conformance.Skip, "not in profile \"x\""), true},
		{up, res(conformance.Skip, "no param"), true},
		{up, res(conformance.Skip, "other"), false},
		{up, res(conformance.Error, "case did not stop within 1s of its timeout; abandoned"), false},
		{down, res(conformance.Error, "dial: refused"), true},
		{down, res(conformance.Fail, ""), false},
	}
	for i, tt := range tests {
		if got := h.judge(tt.target, tt.res) == ""; got != tt.ok {
			t.Errorf("%d: %s %v %q: accepted=%v, want %v", i, tt.target.Name, tt.res.Verdict, tt.res.Message, got, tt.ok)
		}
	}
	h.Accept = func(target string, r conformance.Result) bool { return r.Verdict == conformance.Pass }
	if h.judge(up, res(conformance.Pass, "")) != "" {
		t.Error("Accept did not accept")
	}
}
