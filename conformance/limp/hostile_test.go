package limpsuite

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
	url := func(addr string) string { return "ws://" + addr + "/ws" }
	conformancetest.HostileCheck{
		Suite:    Suite,
		Profiles: []string{Profile60, ProfileAppwire},
		Params:   target("").Params,
		AcceptSkip: func(r conformance.Result) bool {
			return strings.Contains(r.Message, "parameter")
		},
		Targets: conformancetest.HTTPPeers(t, url),
	}.Run(t)
}
