package spsuite

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/conformancetest"
)

// TestHostileTargets runs the whole suite against targets that are down,
// silent or answer garbage: every case must end with Error, Fail or a
// parameter or profile Skip, and none may be abandoned by the runner for
// ignoring its context.
func TestHostileTargets(t *testing.T) {
	targets := map[string]string{
		"down":         conformancetest.ClosedAddr(t),
		"silent":       conformancetest.StartHostile(t, conformancetest.Silent),
		"garbage":      conformancetest.StartHostile(t, conformancetest.Garbage([]byte("\x00\xffnot http at all\r\n\r\n"))),
		"junk-101":     conformancetest.StartHostile(t, conformancetest.Garbage([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello"))),
		"hangs-up-now": conformancetest.StartHostile(t, func(c net.Conn) {}),
	}
	for name, addr := range targets {
		t.Run(name, func(t *testing.T) {
			for _, profile := range profiles {
				r := conformance.Runner{Timeout: 500 * time.Millisecond, Parallel: 16, Strict: true, Profile: profile}
				start := time.Now()
				rep, err := r.Run(context.Background(), Suite(), conformance.Target{
					URL: "ws://" + addr + "/", Params: map[string]string{}})
				if err != nil {
					t.Fatal(err)
				}
				for _, res := range rep.Results {
					switch {
					case res.Verdict == conformance.Skip && (strings.HasPrefix(res.Message, "not in profile") ||
						strings.Contains(res.Message, "parameter is empty")):
					case strings.Contains(res.Message, "abandoned"):
						t.Errorf("%s %s: %s", profile, res.ID, res.Message)
					case res.Verdict != conformance.Error && res.Verdict != conformance.Fail:
						t.Errorf("%s %s: %v (%s), want ERROR or FAIL", profile, res.ID, res.Verdict, res.Message)
					case name == "down" && res.Verdict != conformance.Error:
						t.Errorf("%s %s: %v against a closed port, want ERROR: %s", profile, res.ID, res.Verdict, res.Actual)
					}
				}
				// Bounded: every case within its timeout and the grace.
				if d := time.Since(start); d > time.Duration(len(rep.Results))*1500*time.Millisecond/16+5*time.Second {
					t.Errorf("%s: the run took %v", profile, d)
				}
			}
		})
	}
}
