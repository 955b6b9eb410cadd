package afb

import (
	"testing"

	"github.com/appwire/appwire/internal/conformancetest"
	"github.com/appwire/appwire/internal/testserver"
)

// TestHostileTargets: against peers that are down, silent or answer
// garbage, every case ends with Error or Fail and none hangs the run.
func TestHostileTargets(t *testing.T) {
	url := func(addr string) string { return "http://" + addr + "/api" }
	conformancetest.HostileCheck{
		Suite:    Suite,
		Profiles: profiles,
		Params:   map[string]string{"token": "HELLO", "badtoken": "BAD"},
		Targets: append(conformancetest.HTTPPeers(t, url), conformancetest.HostileTarget{
			Name: "half-http", URL: url(testserver.StartHostile(t, testserver.Garbage([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"jty"))))}),
	}.Run(t)
}
