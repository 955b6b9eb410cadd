package limpsuite

import (
	"net/http"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/limpwire"
	"github.com/appwire/appwire/limpwire/limpwiretest"
)

func TestSuiteValid(t *testing.T) {
	s := Suite()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(s.Cases) < 40 {
		t.Fatalf("%d cases, want at least 40", len(s.Cases))
	}
}

// The reference servers run with a short idle timeout so the idle-close
// case runs, no IP quota (every case comes from 127.0.0.1), and a
// client app whose refusal the suite checks.
const (
	testApp         = "conformance"
	testConnTimeout = time.Second
	testIdleCheck   = 200 * time.Millisecond
)

func refOptions() limpwire.Options {
	return limpwire.Options{
		ClientApps:  []limpwire.ClientApp{{ID: testApp}},
		ConnTimeout: testConnTimeout, IdleCheck: testIdleCheck,
		QuotaIP: -1,
	}
}

// startServer serves a reference server with opts behind wrap (nil: as
// is) until the test ends, and returns its WebSocket URL.
func startServer(t *testing.T, opts limpwire.Options, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	return limpwiretest.StartWrapped(t, opts, wrap).URL
}

// target is the conformance target for a reference server at url.
func target(url string) conformance.Target {
	return conformance.Target{URL: url, Params: map[string]string{
		ParamApp:            testApp,
		ParamWrongApp:       "not-" + testApp,
		ParamAuthValue:      limpwiretest.AdminEmail,
		ParamPassword:       limpwiretest.AdminPassword,
		ParamCollection:     "item",
		ParamUploadEndpoint: "blob/create",
		ParamConnTimeout:    (testConnTimeout + testIdleCheck).String(),
	}}
}

func runner() conformance.Runner {
	return conformance.Runner{Timeout: 5 * time.Second, Parallel: 16}
}
