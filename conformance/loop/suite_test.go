package loopsuite

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/docs"
	"github.com/appwire/appwire/internal/conformancetest"
	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/loopapi"
)

// pushStatus is a stand-in SimplePush server whose /status answers 200,
// so the reference's heartbeat sees its push server up.
var pushStatus string

func TestMain(m *testing.M) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	pushStatus = strings.Replace(srv.URL, "http://", "ws://", 1) + "/"
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

func TestSuiteValid(t *testing.T) {
	s := Suite()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(s.Cases) < 40 {
		t.Fatalf("%d cases, want at least 40", len(s.Cases))
	}
	conformancetest.CheckReference(t, s)
	// The suite's section titles are the reference's.
	for n, title := range s.Sections {
		sec, ok := docs.LookupSection("loop", n)
		if !ok || sec.Title != title {
			t.Errorf("section %s: suite says %q, docs/protocols/loop.md %q", n, title, sec.Title)
		}
	}
	for _, c := range s.Cases {
		if _, ok := s.Sections[c.Section()]; !ok {
			t.Errorf("%s: section %s has no title in the suite", c.ID, c.Section())
		}
	}
}

// The reference server runs with short timers so the timer cases run; the
// suite learns them through its parameters.
const (
	// Long enough that cases which do not wait for a timer finish their
	// exchanges before one fires, on a loaded machine.
	testSupervisory  = 1500 * time.Millisecond
	testRinging      = 2 * time.Second
	testConnection   = 2 * time.Second
	testCallDuration = 5 * time.Second
)

// referenceOptions are the reference server's options for profile.
func referenceOptions(profile string) loopapi.Options {
	p := loopapi.Profile017
	if profile == ProfileHead {
		p = loopapi.ProfileHead
	}
	return loopapi.Options{
		Profile:             p,
		SupervisoryDuration: testSupervisory,
		RingingDuration:     testRinging,
		ConnectionDuration:  testConnection,
		CallDuration:        testCallDuration,
		PushServerURIs:      []string{pushStatus},
		PushTimeout:         time.Second,
	}
}

// startReference serves a reference server for profile behind wrap (nil:
// as is) on a loopback port until the test ends.
func startReference(t *testing.T, opts loopapi.Options, wrap func(*loopapi.Server) http.Handler) conformance.Target {
	t.Helper()
	s, err := loopapi.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = s
	if wrap != nil {
		h = wrap(s)
	}
	u := testserver.Serve(t, h, func(ctx context.Context) { _ = s.Shutdown(ctx) })
	return target(u)
}

func target(u string) conformance.Target {
	return conformance.Target{URL: u, Params: map[string]string{
		ParamAssertion:    "local:{identity}",
		ParamReplayCheck:  "true",
		ParamSupervisory:  testSupervisory.String(),
		ParamRinging:      testRinging.String(),
		ParamConnection:   testConnection.String(),
		ParamCallDuration: testCallDuration.String(),
	}}
}

func runner() conformance.Runner {
	return conformance.Runner{Timeout: 12 * time.Second, Parallel: 8}
}

func TestReferencePasses(t *testing.T) {
	if testing.Short() {
		t.Skip("TestProof runs the reference in every profile; this is the same run on its own, for a quick look")
	}
	for _, profile := range []string{Profile017, ProfileHead} {
		t.Run(profile, func(t *testing.T) {
			tg := startReference(t, referenceOptions(profile), nil)
			r := runner()
			r.Profile = profile
			r.Strict = true
			rep, err := r.Run(context.Background(), Suite(), tg)
			if err != nil {
				t.Fatal(err)
			}
			for _, res := range rep.Results {
				if res.Verdict != conformance.Pass && res.Verdict != conformance.Skip {
					t.Errorf("%s %v: expected %v, actual %s, %s", res.ID, res.Verdict, res.Expected, res.Actual, res.Message)
				}
			}
		})
	}
}
