package fuzz

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
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

// A server that accepts any token (it never checks the signature) is
// caught.
func TestLIMPFindsUncheckedTokens(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := wsconn.Upgrade(w, r, wsconn.UpgradeOptions{})
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.WriteText(ctx, []byte(`{"status":200,"msg":"Connection ready","args":{"code":"CORE_CONN_READY"}}`))
		for {
			_, msg, err := c.ReadMessage(ctx, nil)
			if err != nil {
				return
			}
			var f struct {
				CallID string `json:"call_id"`
			}
			_ = json.Unmarshal(msg, &f)
			reply, _ := json.Marshal(map[string]any{"status": 200, "msg": "OK", "args": map[string]any{"call_id": f.CallID}})
			if c.WriteText(ctx, reply) != nil {
				return
			}
		}
	})
	url := "ws" + strings.TrimPrefix(strings.TrimSuffix(serveLoopback(t, h, nil), "/api"), "http") + "/ws"
	rep, err := LIMP(testCtx(t), url, LIMPOptions{Options: Options{MaxInputs: 100, Seed: 6}})
	if err != nil {
		t.Fatal(err)
	}
	caught := false
	for _, v := range rep.Violations {
		caught = caught || strings.Contains(v.Rule, "CORE_REQ_INVALID_TOKEN")
	}
	if !caught || !rep.Failed() {
		var out bytes.Buffer
		rep.WriteText(&out)
		t.Fatalf("unchecked tokens not caught:\n%s", out.String())
	}
}
