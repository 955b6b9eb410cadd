package ipcsuite

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/httpipc"
	"github.com/appwire/appwire/internal/conformancetest"
)

// The reference server's limits that HELLO does not announce, as params.
const testMaxBody = 1 << 20

// referenceServer returns the server the proof runs: the production
// httpipc.Server with the reference handler, a few streams (so the cases
// that fill every slot stay cheap) and a small body limit.
func referenceServer() *httpipc.Server {
	return &httpipc.Server{
		Handler:            Handler(),
		Options:            httpipc.Options{MaxConcurrentStreams: 16},
		MaxRequestBodySize: testMaxBody,
		ErrorLog:           log.New(io.Discard, "", 0),
	}
}

// serveUnix serves s on a unix socket in a temporary directory until the
// test ends and returns the socket path.
func serveUnix(t *testing.T, s *httpipc.Server) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ipc")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		s.Close()
		<-done
		os.RemoveAll(dir)
	})
	return path
}

func target(url string) conformance.Target {
	return conformance.Target{URL: url, Params: map[string]string{"max-body": "1048576"}}
}

func runner() conformance.Runner {
	return conformance.Runner{Timeout: 3 * time.Second, Parallel: 32}
}

// TestProof proves the suite: the reference passes every case, every
// mutant fails at least one case, and every case fails against at least
// one mutant.
func TestProof(t *testing.T) {
	conformancetest.Prove(t, Suite(), runner(), func(t *testing.T, _ string) conformance.Target {
		return target("unix://" + serveUnix(t, referenceServer()))
	}, mutants(func(t *testing.T) string { return serveUnix(t, referenceServer()) }))
}

// TestMissingRoutesSkip: against a server that answers 404 to every path
// (a target that does not serve the suite's handler), the cases that need
// a route skip instead of failing, and the others still pass.
func TestMissingRoutesSkip(t *testing.T) {
	s := referenceServer()
	s.Handler = http.NotFoundHandler()
	r := runner()
	r.Strict = true
	rep, err := r.Run(context.Background(), Suite(), target("unix://"+serveUnix(t, s)))
	if err != nil {
		t.Fatal(err)
	}
	skipped := 0
	for _, res := range rep.Results {
		switch res.Verdict {
		case conformance.Skip:
			skipped++
			if !strings.Contains(res.Message, "404") {
				t.Errorf("%s skipped for another reason: %s", res.ID, res.Message)
			}
		case conformance.Pass:
		default:
			t.Errorf("%s: %v (%s %s), want PASS or a skip for the missing route", res.ID, res.Verdict, res.Message, res.Actual)
		}
	}
	if skipped == 0 {
		t.Error("no case skipped: every case passed against a server without routes")
	}
}
