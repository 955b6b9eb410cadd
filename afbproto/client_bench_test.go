package afbproto_test

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/appwire/appwire/afbproto"
)

// noopRoundTrip measures, in the current run, the mean duration of n
// HTTP/1.1 keep-alive GETs to a net/http no-op handler on loopback, made
// by par goroutines: the baseline the client benchmarks are compared to.
func noopRoundTrip(b *testing.B, n, par int) time.Duration {
	b.Helper()
	u := serve(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"jtype":"afb-reply","request":{"status":"success"}}`))
	}), nil)
	tr := &http.Transport{MaxIdleConnsPerHost: par}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	get := func() {
		res, err := client.Get(u + "/api/bench/noop")
		if err != nil {
			b.Error(err)
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	get() // warm up the connection
	start := time.Now()
	var wg sync.WaitGroup
	for w := range par {
		wg.Go(func() {
			for i := w; i < n; i += par {
				get()
			}
		})
	}
	wg.Wait()
	return time.Since(start) / time.Duration(n)
}

// report adds calls/s and the ratio of ns/op to the no-op net/http round
// trip measured in the same run (lower is better; 1 is "as fast as an
// empty net/http handler").
func report(b *testing.B, baseline time.Duration) {
	perOp := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	b.ReportMetric(float64(perOp)/float64(baseline), "x-noop-http")
}

// BenchmarkClientWSCall: sequential calls through WSClient on one socket
// to the reference binder (hello/pingnull).
func BenchmarkClientWSCall(b *testing.B) {
	bd := startBinder(b, afbproto.Options{Token: afbproto.AnyToken()})
	baseline := noopRoundTrip(b, 2000, 1)
	c := dial(b, bd.wsURL(), afbproto.ClientOptions{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Call(ctx, "hello", "pingnull", nil); err != nil {
			b.Fatal(err)
		}
	}
	report(b, baseline)
}

// BenchmarkClientWSCallParallel: concurrent calls from GOMAXPROCS*4
// goroutines multiplexed on one socket.
func BenchmarkClientWSCallParallel(b *testing.B) {
	bd := startBinder(b, afbproto.Options{Token: afbproto.AnyToken()})
	baseline := noopRoundTrip(b, 2000, 8)
	c := dial(b, bd.wsURL(), afbproto.ClientOptions{})
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Call(ctx, "hello", "pingnull", nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
	report(b, baseline)
}

// BenchmarkClientHTTPCall: sequential calls through HTTPClient (session
// uuid and token headers, bounded body read, reply parse).
func BenchmarkClientHTTPCall(b *testing.B) {
	bd := startBinder(b, afbproto.Options{Token: afbproto.AnyToken()})
	baseline := noopRoundTrip(b, 2000, 1)
	c := newHTTP(b, bd.url, afbproto.ClientOptions{})
	ctx := context.Background()
	if _, err := c.Call(ctx, "hello", "pingnull", nil); err != nil { // join a session
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Call(ctx, "hello", "pingnull", nil); err != nil {
			b.Fatal(err)
		}
	}
	report(b, baseline)
}
