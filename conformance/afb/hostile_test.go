package afb

import (
	"net"
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
		Targets: []conformancetest.HostileTarget{
			{Name: "down", URL: url(testserver.ClosedAddr(t)), Down: true},
			{Name: "silent", URL: url(testserver.StartHostile(t, testserver.Silent))},
			{Name: "garbage", URL: url(testserver.StartHostile(t, testserver.Garbage([]byte("\x00\xffnot http at all\r\n\r\n"))))},
			{Name: "half-http", URL: url(testserver.StartHostile(t, testserver.Garbage([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"jty"))))},
			{Name: "junk-101", URL: url(testserver.StartHostile(t, testserver.Garbage([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello"))))},
			{Name: "hangs-up-now", URL: url(testserver.StartHostile(t, func(c net.Conn) {}))},
		},
	}.Run(t)
}
