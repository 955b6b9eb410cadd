package fuzz

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/loopapi"
)

func startLoop(t *testing.T) string {
	t.Helper()
	s, err := loopapi.NewServer(loopapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(serveLoopback(t, s, nil), "/api")
}

// The reference Loop server passes several seeds.
func TestLoopReferenceHasNoViolation(t *testing.T) {
	url := startLoop(t)
	seeds, d := []int64{1, 2}, 2*time.Second
	if testing.Short() {
		seeds, d = seeds[:1], time.Second
	}
	for _, seed := range seeds {
		rep, err := Loop(testCtx(t), url, Options{Duration: d, Seed: seed, BatchSize: 25})
		var out bytes.Buffer
		rep.WriteText(&out)
		if err != nil || len(rep.Violations) > 0 || rep.PeerDown || rep.Inputs == 0 || rep.Probes == 0 {
			t.Fatalf("seed %d: %v\n%s", seed, err, out.String())
		}
		t.Logf("%s", out.String())
	}
}

// A server whose errors do not repeat their status, and that answers 500
// to a bad Hawk header, is caught.
func TestLoopFindsBrokenServer(t *testing.T) {
	url := strings.TrimSuffix(serveLoopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/" && r.Method == http.MethodGet:
			w.Write([]byte(`{"name":"x"}`))
		case strings.HasPrefix(r.Header.Get("Authorization"), "Hawk"):
			w.WriteHeader(http.StatusInternalServerError)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"code":400,"errno":999}`))
		}
	}), nil), "/api")
	rep, err := Loop(testCtx(t), url, Options{MaxInputs: 200, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for _, v := range rep.Violations {
		rules[v.Rule] = true
	}
	if len(rules) != 2 || !rep.Failed() {
		var out bytes.Buffer
		rep.WriteText(&out)
		t.Fatalf("broken server not caught by both rules:\n%s", out.String())
	}
}
