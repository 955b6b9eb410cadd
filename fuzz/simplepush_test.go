package fuzz

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/wsconn"
	"github.com/appwire/appwire/simplepush"
)

// startPush serves a reference SimplePush server of the dialect on a free
// loopback port and returns its ws:// URL.
func startPush(t *testing.T, d simplepush.Dialect) string {
	t.Helper()
	s, err := simplepush.NewServer(simplepush.Options{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "ws://" + ln.Addr().String() + "/"
}

// The reference server passes every seed in both dialects.
func TestSimplePushReferenceHasNoViolation(t *testing.T) {
	seeds, d := []int64{1, 2, 3}, 2*time.Second
	if testing.Short() {
		seeds, d = seeds[:1], time.Second
	}
	for _, dialect := range []simplepush.Dialect{simplepush.DialectPushgo, simplepush.DialectAutopush} {
		url := startPush(t, dialect)
		for _, seed := range seeds {
			rep, err := SimplePush(testCtx(t), url, Options{Duration: d, Seed: seed, BatchSize: 25})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			rep.WriteText(&out)
			if len(rep.Violations) > 0 || rep.PeerDown || rep.Transports["ws"] == 0 || rep.Transports["http"] == 0 || rep.Probes == 0 {
				t.Fatalf("%s, seed %d:\n%s", dialect, seed, out.String())
			}
			t.Logf("%s: %s", dialect, out.String())
		}
	}
}

// The generator is deterministic, reaches every expectation and every
// HTTP kind.
func TestSimplePushGenerator(t *testing.T) {
	seen := map[spExpect]int{}
	for i := range 3000 {
		a, b := genSPWS(9, i), genSPWS(9, i)
		if !bytes.Equal(a.Wire, b.Wire) || a.expect != b.expect {
			t.Fatalf("input %d differs between two generations", i)
		}
		seen[a.expect]++
	}
	for e := spNothing; e <= spClose; e++ {
		if seen[e] < 20 {
			t.Errorf("only %d inputs expect %s", seen[e], spExpectText[e])
		}
	}
	s := &spRunner{opts: Options{Seed: 9}.withDefaults(), host: "h:1", endpoint: "/update/abcdefghijklmnop"}
	kinds := map[string]bool{}
	for i := range 500 {
		kinds[s.genSPHTTP(i).Mutation] = true
	}
	if len(kinds) != 10 {
		t.Errorf("only %d HTTP kinds used: %v", len(kinds), kinds)
	}
}

func TestSimplePushClassify(t *testing.T) {
	for msg, want := range map[string]string{
		`{"messageType":"hello","uaid":"","channelIDs":[]}`:                                                   "hello",
		`{"messageType":"hello","uaid":"x","channelIDs":["5e0b2f0e-6b6f-4b8e-9a3c-0d1e2f3a4b5c"]}`:            "hello",
		`{"messageType":"HELLO","uaid":"","channelIDs":[]}`:                                                   "",
		`{"messageType":"hello","uaid":1,"channelIDs":[]}`:                                                    "",
		`{"messageType":"hello","uaid":""}`:                                                                   "",
		`{"messageType":"register","channelID":"5e0b2f0e-6b6f-4b8e-9a3c-0d1e2f3a4b5c"}`:                       "register",
		`{"messageType":"register","channelID":"5E0B2F0E-6B6F-4B8E-9A3C-0D1E2F3A4B5C"}`:                       "",
		`{"messageType":"ack","updates":[{"channelID":"5e0b2f0e-6b6f-4b8e-9a3c-0d1e2f3a4b5c","version":3}]}`:  "ack",
		`{"messageType":"ack","updates":[{"channelID":"5e0b2f0e-6b6f-4b8e-9a3c-0d1e2f3a4b5c","version":-3}]}`: "",
		`{"messageType":"hello","messagetype":"x","uaid":"","channelIDs":[]}`:                                 "",
		"not json": "not-json",
		"\xff{":    "",
	} {
		if got := spClassify([]byte(msg)); got != want {
			t.Errorf("%s: %q, want %q", msg, got, want)
		}
	}
}

// A server that answers text that is not JSON, and 500s an endpoint PUT,
// is caught.
func TestSimplePushFindsBrokenServer(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			if strings.Contains(r.URL.Path, "/update/") && r.URL.Path != "/update/good" {
				w.WriteHeader(http.StatusInternalServerError) // a bad token crashes a handler
				return
			}
			w.WriteHeader(http.StatusOK)
			return
		}
		c, err := wsconn.Upgrade(w, r, wsconn.UpgradeOptions{})
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for {
			_, msg, err := c.ReadMessage(ctx, nil)
			if err != nil {
				return
			}
			switch {
			case strings.Contains(string(msg), `"register"`):
				_ = c.WriteText(ctx, []byte(`{"messageType":"register","status":200,"pushEndpoint":"http://`+r.Host+`/update/good"}`))
			case strings.Contains(string(msg), `"hello"`):
				_ = c.WriteText(ctx, []byte(`{"messageType":"hello","uaid":"00000000000000000000000000000000","status":200}`))
			default:
				_ = c.WriteText(ctx, []byte(`{}`)) // answers anything, even text that is not JSON
			}
		}
	})
	url := "ws" + strings.TrimPrefix(serveLoopback(t, h, nil), "http")
	url = strings.TrimSuffix(url, "/api") + "/"
	rep, err := SimplePush(testCtx(t), url, Options{MaxInputs: 300, Seed: 4, InputTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for _, v := range rep.Violations {
		rules[v.Rule] = true
	}
	if !rules[spRules[spClose]] || !rules["simplepush §4: a PUT to a token that cannot be decoded gets a 4xx, never a 5xx"] || !rep.Failed() {
		var out bytes.Buffer
		rep.WriteText(&out)
		t.Fatalf("broken server not caught:\n%s", out.String())
	}
}
