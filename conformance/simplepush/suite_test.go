package spsuite

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/appwire/appwire/conformance"
	"github.com/appwire/appwire/internal/conformancetest"
	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/simplepush"
)

// The reference servers run with short timers so the cases that need them
// run; the suite learns the values through its parameters.
const (
	testHelloTimeout       = 500 * time.Millisecond
	testMinPingInterval    = 200 * time.Millisecond
	testRetransmitInterval = 500 * time.Millisecond
)

var profiles = []string{ProfilePushgo, ProfileAutopush}

// optionsOf returns the reference server's options for profile: its
// dialect, and (pushgo) a re-flush of everything pending after each ack,
// as pushgo does.
func optionsOf(profile string) simplepush.Options {
	d, _ := simplepush.ParseDialect(profile)
	return simplepush.Options{
		Dialect:            d,
		HelloTimeout:       testHelloTimeout,
		MinPingInterval:    testMinPingInterval,
		RetransmitInterval: testRetransmitInterval,
		MaxConnections:     -1,
		ResendPendingOnAck: profile == ProfilePushgo,
	}
}

// startServer serves a reference server with opts behind wrap (nil: as
// is) on a loopback port until the test ends, and returns host:port.
func startServer(t *testing.T, opts simplepush.Options, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	s, err := simplepush.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = s
	if wrap != nil {
		h = wrap(s)
	}
	u := testserver.Serve(t, h, func(context.Context) { s.Close() })
	return u[len("http://"):]
}

// target is the conformance target for a server at addr.
func target(addr string) conformance.Target {
	return conformance.Target{URL: "ws://" + addr + "/", Params: map[string]string{
		ParamHelloTimeout:       testHelloTimeout.String(),
		ParamMinPingInterval:    testMinPingInterval.String(),
		ParamRetransmitInterval: testRetransmitInterval.String(),
	}}
}

func runner() conformance.Runner {
	return conformance.Runner{Timeout: 3 * time.Second, Parallel: 16}
}

// TestProof proves the suite: the reference server passes every case in
// both profiles, every mutant fails at least one case, and every case
// fails against at least one mutant.
func TestProof(t *testing.T) {
	conformancetest.Prove(t, Suite(), runner(), func(t *testing.T, profile string) conformance.Target {
		return target(startServer(t, optionsOf(profile), nil))
	}, mutants())
}
