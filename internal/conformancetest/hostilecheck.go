package conformancetest

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/testserver"
)

// HostileTarget is one broken peer for HostileCheck.
type HostileTarget struct {
	Name string
	URL  string
	// Down: nothing accepts the connection, so every case must end with
	// Error (the harness could not judge), never Fail.
	Down bool
}

// HostileCheck runs a whole suite against peers that are down, silent or
// answer garbage, and checks the suite judges them as it should: every
// case ends with Error or Fail (Error where the peer is Down), and no case
// is abandoned by the runner for ignoring its context, so a hostile
// target can never hang a run.
type HostileCheck struct {
	Suite func() *conformance.Suite
	// Profiles to run; nil runs the suite's default profile.
	Profiles []string
	// Params are the setup inputs passed to every case.
	Params  map[string]string
	Targets []HostileTarget
	// AcceptSkip accepts a Skip other than "not in profile" (always
	// accepted), such as a case whose parameter is empty.
	AcceptSkip func(conformance.Result) bool
	// Accept accepts a result that the rules above would reject, for a
	// case a broken peer passes legitimately (closing at once is a
	// correct answer to a bad handshake).
	Accept func(target string, r conformance.Result) bool
	// FailOnly requires Fail, not Error, from every case against a peer
	// that accepts connections: once connected, what goes wrong is the
	// peer's fault, not the harness's.
	FailOnly bool
}

// HTTPPeers returns the broken peers every suite over HTTP or WebSocket
// meets: one that is down, one silent, one answering bytes that are not
// HTTP, one whose 101 is followed by junk, and one that hangs up at once.
// url turns the peer's host:port into the suite's TARGET.
func HTTPPeers(t testing.TB, url func(addr string) string) []HostileTarget {
	return []HostileTarget{
		{Name: "down", URL: url(testserver.ClosedAddr(t)), Down: true},
		{Name: "silent", URL: url(testserver.StartHostile(t, testserver.Silent))},
		{Name: "garbage", URL: url(testserver.StartHostile(t, testserver.Garbage([]byte("\x00\xffnot http at all\r\n\r\n"))))},
		{Name: "junk-101", URL: url(testserver.StartHostile(t, testserver.Garbage([]byte(
			"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello"))))},
		{Name: "hangs-up-now", URL: url(testserver.StartHostile(t, func(net.Conn) {}))},
	}
}

// Run runs the check as subtests of t, one per target, a few runs
// (target and profile) at once: the cases mostly wait for their timeout.
func (h HostileCheck) Run(t *testing.T) {
	profiles := h.Profiles
	if profiles == nil {
		profiles = []string{""}
	}
	sem := make(chan struct{}, 2*runsAtOnce())
	var wg sync.WaitGroup
	for _, target := range h.Targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(target.Name, func(t *testing.T) {
				var pw sync.WaitGroup
				for _, profile := range profiles {
					pw.Add(1)
					sem <- struct{}{}
					go func() {
						defer pw.Done()
						defer func() { <-sem }()
						h.runOne(t, target, profile)
					}()
				}
				pw.Wait()
			})
		}()
	}
	wg.Wait()
}

// runOne runs the suite under profile against target and judges every
// result. It may run on any goroutine: it reports with t.Errorf only.
func (h HostileCheck) runOne(t *testing.T, target HostileTarget, profile string) {
	r := conformance.Runner{Timeout: 500 * time.Millisecond, Parallel: 16, Strict: true, Profile: profile}
	rep, err := r.Run(context.Background(), h.Suite(), conformance.Target{URL: target.URL, Params: h.Params})
	if err != nil {
		t.Errorf("profile %q: %v", profile, err)
		return
	}
	for _, res := range rep.Results {
		if msg := h.judge(target, res); msg != "" {
			t.Errorf("profile %q, %s: %s", rep.Profile, res.ID, msg)
		}
	}
}

// judge returns what is wrong with res against target, or "".
func (h HostileCheck) judge(target HostileTarget, res conformance.Result) string {
	switch {
	case strings.Contains(res.Message, "abandoned"):
		return "abandoned by the runner: " + res.Message
	case h.Accept != nil && h.Accept(target.Name, res):
		return ""
	case res.Verdict == conformance.Skip:
		if strings.HasPrefix(res.Message, "not in profile") || h.AcceptSkip != nil && h.AcceptSkip(res) {
			return ""
		}
		return "skipped (" + res.Message + "), want ERROR or FAIL"
	case res.Verdict != conformance.Error && res.Verdict != conformance.Fail:
		return res.Verdict.String() + " (" + res.Message + "), want ERROR or FAIL"
	case target.Down && res.Verdict != conformance.Error:
		return "FAIL against a peer that is down, want ERROR: " + res.Actual
	case !target.Down && h.FailOnly && res.Verdict == conformance.Error:
		return "ERROR (" + res.Message + ") against a peer that accepted the connection, want FAIL"
	}
	return ""
}
