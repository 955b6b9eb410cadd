package ipcsuite

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/conformancetest"
	"github.com/appwire/appwire/internal/testserver"
)

// TestHostileTargets: against peers that are down, silent or answer
// garbage, every case ends with Error or Fail (Error only where nothing
// accepts the connection) and none hangs the run.
func TestHostileTargets(t *testing.T) {
	unix := func(path string) string { return "unix://" + path }
	conformancetest.HostileCheck{
		Suite:    Suite,
		FailOnly: true,
		// It does send HELLO unprompted.
		Accept: func(target string, r conformance.Result) bool {
			return target == "hello-then-eof" && r.ID == "httpipc/3.2.1/2" && r.Verdict == conformance.Pass
		},
		Targets: []conformancetest.HostileTarget{
			{Name: "down", URL: unix(testserver.ClosedUnixPath(t)), Down: true},
			{Name: "missing", URL: unix(t.TempDir() + "/none.sock"), Down: true},
			{Name: "silent", URL: unix(testserver.StartHostileUnix(t, testserver.Silent))},
			{Name: "garbage", URL: unix(testserver.StartHostileUnix(t, testserver.Garbage([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))))},
			{Name: "huge-frame", URL: unix(testserver.StartHostileUnix(t, testserver.Garbage([]byte{0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})))},
			{Name: "hello-then-eof", URL: unix(testserver.StartHostileUnix(t, func(c net.Conn) { h := hello(1); c.Write(h.encode()) }))},
			{Name: "hangs-up", URL: unix(testserver.StartHostileUnix(t, func(net.Conn) {}))},
		},
	}.Run(t)
}

func TestBadTargets(t *testing.T) {
	for _, url := range []string{"", "http://x", "unix://", "tcp://"} {
		r := conformance.Runner{Timeout: time.Second, Only: []string{"httpipc/3.2.1/1"}}
		rep, err := r.Run(context.Background(), Suite(), conformance.Target{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		if v := rep.Results[0].Verdict; v != conformance.Error {
			t.Errorf("target %q: %v, want ERROR", url, v)
		}
	}
}
