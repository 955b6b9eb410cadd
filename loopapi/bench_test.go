package loopapi_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/appwire/appwire/internal/redistest"
	"github.com/appwire/appwire/internal/testserver"
	"github.com/appwire/appwire/loopapi"
	"github.com/appwire/appwire/loopapi/loopapitest"
	"github.com/appwire/appwire/loopapi/redisstore"
)

// BenchmarkHawkRequest measures Hawk-authenticated requests over loopback
// HTTP (GET /call-url: the client signs, the server verifies the MAC,
// checks the nonce, looks the session up, refreshes its TTLs and signs
// the answer, the client checks Server-Authorization), with the memory
// store and with Redis, next to a no-op net/http handler reached by the
// same kind of client in the same run.
func BenchmarkHawkRequest(b *testing.B) {
	b.Run("noop-net-http", func(b *testing.B) {
		url := testserver.Serve(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("[]"))
		}), nil)
		hc := &http.Client{}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			resp, err := hc.Get(url + "/call-url")
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	run := func(b *testing.B, opts loopapi.Options) {
		srv := loopapitest.Start(b, opts)
		c := srv.Client(b)
		ctx := context.Background()
		if err := c.Register(ctx, nil); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, err := c.CallURLs(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	}
	b.Run("loopapi-memory", func(b *testing.B) { run(b, loopapi.Options{}) })
	b.Run("loopapi-redis", func(b *testing.B) {
		rs := redistest.Start(b, redistest.Options{})
		st, err := redisstore.New(rs.Client(b), redisstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = st.Close() })
		run(b, loopapi.Options{Store: st})
	})
}
