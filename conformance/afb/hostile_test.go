package afb

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
// silent or answer garbage: every case must end with Error or Fail (or be
// skipped by profile), and none may be abandoned by the runner for
// ignoring its context.
func TestHostileTargets(t *testing.T) {
	targets := map[string]string{
		"down":         conformancetest.ClosedAddr(t),
		"silent":       conformancetest.StartHostile(t, conformancetest.Silent),
		"garbage":      conformancetest.StartHostile(t, conformancetest.Garbage([]byte("\x00\xffnot http at all\r\n\r\n"))),
		"half-http":    conformancetest.StartHostile(t, conformancetest.Garbage([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"jty"))),
		"junk-101":     conformancetest.StartHostile(t, conformancetest.Garbage([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello"))),
		"hangs-up-now": conformancetest.StartHostile(t, func(c net.Conn) {}),
	}
	for name, addr := range targets {
		t.Run(name, func(t *testing.T) {
			for _, profile := range profiles {
				r := conformance.Runner{Timeout: 500 * time.Millisecond, Parallel: 16, Strict: true, Profile: profile}
				rep, err := r.Run(context.Background(), Suite(), conformance.Target{
					URL: "http://" + addr + "/api", Params: map[string]string{"token": "HELLO", "badtoken": "BAD"}})
				if err != nil {
					t.Fatal(err)
				}
				for _, res := range rep.Results {
					switch {
					case res.Verdict == conformance.Skip && strings.HasPrefix(res.Message, "not in profile"):
					case strings.Contains(res.Message, "abandoned"):
						t.Errorf("%s %s: %s", profile, res.ID, res.Message)
					case res.Verdict != conformance.Error && res.Verdict != conformance.Fail:
						t.Errorf("%s %s: %v (%s), want ERROR or FAIL", profile, res.ID, res.Verdict, res.Message)
					case name == "down" && res.Verdict != conformance.Error:
						t.Errorf("%s %s: %v against a closed port, want ERROR: %s", profile, res.ID, res.Verdict, res.Actual)
					}
				}
			}
		})
	}
}
