package ipcsuite

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/conformancetest"
)

// TestHostileTargets runs the whole suite against targets that are down,
// silent, or answer garbage: every case must end with Error or Fail (a
// closed socket: Error), and none may be abandoned for ignoring its
// context.
func TestHostileTargets(t *testing.T) {
	targets := map[string]string{
		"down":           "unix://" + conformancetest.ClosedUnixPath(t),
		"missing":        "unix://" + t.TempDir() + "/none.sock",
		"silent":         "unix://" + conformancetest.StartHostileUnix(t, conformancetest.Silent),
		"garbage":        "unix://" + conformancetest.StartHostileUnix(t, conformancetest.Garbage([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))),
		"huge-frame":     "unix://" + conformancetest.StartHostileUnix(t, conformancetest.Garbage([]byte{0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})),
		"hello-then-eof": "unix://" + conformancetest.StartHostileUnix(t, func(c net.Conn) { h := hello(1); c.Write(h.encode()) }),
		"hangs-up":       "unix://" + conformancetest.StartHostileUnix(t, func(net.Conn) {}),
	}
	for name, url := range targets {
		t.Run(name, func(t *testing.T) {
			r := conformance.Runner{Timeout: 500 * time.Millisecond, Parallel: 64, Strict: true}
			rep, err := r.Run(context.Background(), Suite(), conformance.Target{URL: url})
			if err != nil {
				t.Fatal(err)
			}
			for _, res := range rep.Results {
				switch {
				case res.Verdict == conformance.Pass && (name == "hangs-up" || name == "hello-then-eof") && rejectsHello[res.ID]:
					// Closing at once is a correct answer to a bad HELLO.
				case res.Verdict == conformance.Pass && name == "hello-then-eof" && res.ID == "httpipc/3.2.1/2":
					// It does send HELLO unprompted.
				case res.Verdict != conformance.Error && res.Verdict != conformance.Fail:
					t.Errorf("%s: %v (%s), want ERROR or FAIL", res.ID, res.Verdict, res.Message)
				case (name == "down" || name == "missing") && res.Verdict != conformance.Error:
					t.Errorf("%s: %v against a closed socket, want ERROR: %s", res.ID, res.Verdict, res.Actual)
				case res.Verdict == conformance.Error && name != "down" && name != "missing":
					t.Errorf("%s: ERROR (%s) against a target that accepted the connection, want FAIL", res.ID, res.Message)
				}
			}
		})
	}
}

// rejectsHello are the cases a target passes by closing the connection.
var rejectsHello = map[string]bool{"httpipc/3.2.1/3": true, "httpipc/3.2.1/4": true, "httpipc/3.2.1/6": true, "httpipc/3.2.1/8": true}

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
