package spsuite

import (
	"net"
	"strings"
	"testing"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/conformancetest"
	"github.com/appwire/appwire/internal/testserver"
)

// TestHostileTargets: against peers that are down, silent or answer
// garbage, every case ends with Error or Fail (or skips for want of a
// parameter) and none hangs the run.
func TestHostileTargets(t *testing.T) {
	url := func(addr string) string { return "ws://" + addr + "/" }
	conformancetest.HostileCheck{
		Suite:    Suite,
		Profiles: profiles,
		Params:   map[string]string{},
		AcceptSkip: func(r conformance.Result) bool {
			return strings.Contains(r.Message, "parameter is empty")
		},
		Targets: []conformancetest.HostileTarget{
			{Name: "down", URL: url(testserver.ClosedAddr(t)), Down: true},
			{Name: "silent", URL: url(testserver.StartHostile(t, testserver.Silent))},
			{Name: "garbage", URL: url(testserver.StartHostile(t, testserver.Garbage([]byte("\x00\xffnot http at all\r\n\r\n"))))},
			{Name: "junk-101", URL: url(testserver.StartHostile(t, testserver.Garbage([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello"))))},
			{Name: "hangs-up-now", URL: url(testserver.StartHostile(t, func(c net.Conn) {}))},
		},
	}.Run(t)
}
