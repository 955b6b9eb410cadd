package fuzz

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/limpwire"
	"github.com/appwire/appwire/limpwire/limpwiretest"
)

func TestLIMPReferenceHasNoViolation(t *testing.T) {
	url := startLIMP(t)
	seeds, d := []int64{1, 2}, 2*time.Second
	if testing.Short() {
		seeds, d = seeds[:1], time.Second
	}
	for _, seed := range seeds {
		rep, err := LIMP(testCtx(t), url, LIMPOptions{Options: Options{Duration: d, Seed: seed, BatchSize: 25}})
		var out bytes.Buffer
		rep.WriteText(&out)
		if err != nil || len(rep.Violations) > 0 || rep.PeerDown || rep.Transports["ws"] < 100 || rep.Throttled > 0 || rep.Probes == 0 {
			t.Fatalf("seed %d: %v\n%s", seed, err, out.String())
		}
		t.Logf("%s", out.String())
	}
}

func TestLIMPGenerator(t *testing.T) {
	invalid, kinds := 0, map[string]bool{}
	for i := range 2000 {
		a, b := genLIMP(3, i, []byte(DefaultLIMPAnonToken)), genLIMP(3, i, []byte(DefaultLIMPAnonToken))
		if !bytes.Equal(a.Wire, b.Wire) || a.invalid != b.invalid {
			t.Fatalf("input %d differs between two generations", i)
		}
		if a.invalid {
			invalid++
		}
		kinds[strings.Fields(a.Mutation)[0]] = true
	}
	if invalid < 300 || len(kinds) < 8 {
		t.Errorf("%d invalid tokens, kinds %v", invalid, kinds)
	}
}

func startLIMP(t *testing.T) string {
	t.Helper()
	// Quotas high enough for a fuzzer on one address.
	s := limpwiretest.Start(t, limpwire.Options{QuotaIP: 1 << 30, QuotaAnon: 1 << 30, QuotaAuth: 1 << 30})
	return s.URL
}

// A peer with a call quota throttles the run: its 429s are counted, not
// judged, and --rate keeps under it.
func TestLIMPQuota(t *testing.T) {
	s := limpwiretest.Start(t, limpwire.Options{QuotaIP: 30, QuotaAnon: 1 << 30, QuotaAuth: 1 << 30})
	rep, err := LIMP(testCtx(t), s.URL, LIMPOptions{Options: Options{MaxInputs: 60, Seed: 2, BatchSize: 20}})
	if err != nil || rep.Throttled == 0 || rep.PeerDown || len(rep.Violations) > 0 {
		t.Fatalf("%v %+v", err, rep)
	}
}
