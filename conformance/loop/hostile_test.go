package loopsuite

import (
	"strings"
	"testing"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/conformancetest"
)

// TestHostileTargets: against peers that are down, silent or answer
// garbage, every case ends with Error or Fail (or skips for want of a
// parameter) and none hangs the run.
func TestHostileTargets(t *testing.T) {
	conformancetest.HostileCheck{
		Suite:    Suite,
		Profiles: []string{Profile017, ProfileHead},
		Params:   target("").Params,
		AcceptSkip: func(r conformance.Result) bool {
			return strings.Contains(r.Message, "parameter")
		},
		Targets: conformancetest.HTTPPeers(t, func(addr string) string { return "http://" + addr }),
	}.Run(t)
}
